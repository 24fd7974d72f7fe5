"""An in-process SMTP server for tests, with recording and fault injection.

The server runs its own asyncio loop in a background thread, so it serves async tests (whatever
loop pytest-asyncio gives them), sync tests, FastAPI test clients and subprocesses alike.
``start()`` and ``stop()`` are synchronous; every recorded value is guarded by a lock and handed
out as a snapshot.

    server = SmtpTestServer(mode="starttls", tls_context=ca.server_context(), ca_pem=ca.ca_pem,
                            users={"alice": "s3cret"}, dsn=True)
    with server:                                   # start() ... stop()
        settings = server.settings(username="alice", password="s3cret")
        ... deliver(settings, envelope, data) ...
        [message] = server.messages                # ReceivedMessage
        message.rcpt_tos, message.mail_options, message.message["Subject"]
        server.verbs()                             # ["EHLO", "STARTTLS", "EHLO", "AUTH", ...]
        server.received_bytes(cleartext_only=True)  # every byte that crossed before TLS

Modes: ``plain`` (no TLS at all, so no STARTTLS either), ``starttls`` (offers STARTTLS;
``require_starttls`` refuses MAIL before it), ``tls`` (TLS from the first byte).

PIPELINING (RFC 2920) is offered unless ``pipelining=False``. Each recorded command says whether
it arrived before the server had answered the command before it (``Command.pipelined``: the
client did not wait for the reply), whatever the server offered. With ``batch_replies`` the
server holds its replies while more commands are already waiting and sends them together, as
Postfix does.

The server is written from scratch (not aiosmtpd) so that every reply, extension and fault is
under the test's control: DSN parameters, SIZE, SMTPUTF8, 8BITMIME, a silent peer, a drop in the
middle of DATA, and byte-level recording of what crossed the wire in clear.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import collections
import contextlib
import dataclasses
import hmac
import itertools
import logging
import re
import secrets
import ssl
import threading
import time
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any, Literal, cast

from smtp_connector.smtp.types import AuthMechanism, Security, SmtpSettings

__all__ = [
    "Command",
    "Faults",
    "NotSmtpServer",
    "ReceivedMessage",
    "SessionRecord",
    "SmtpTestServer",
    "credential_forms",
]

log = logging.getLogger("tests.smtp_server")

Mode = Literal["plain", "starttls", "tls"]

_LOCALHOST = "127.0.0.1"
_READ_LIMIT = 1 << 20
_HANDSHAKE_TIMEOUT = 10.0
_THREAD_TIMEOUT = 10.0
_MAX_UNKNOWN_COMMANDS = 5
_ADDRESS = re.compile(r"^(?P<kw>FROM|TO):\s*<(?P<addr>[^<>]*)>(?:\s+(?P<params>.*))?$", re.I)


@dataclass
class Faults:
    """What to break. Reply strings are full SMTP lines such as ``"451 4.3.0 Try later"``.

    Any reply starting with ``421`` also closes the connection, as a real server would.
    """

    greeting: str | None = None
    """Sent instead of the ``220`` greeting; the connection is then closed (e.g. ``421 ...``)."""
    silent: bool = False
    """Accept TCP and never send a byte (timeouts; also what an implicit-TLS port looks like)."""
    ehlo_reply: str | None = None
    """Refuse EHLO with this reply (HELO still works)."""
    starttls_reply: str | None = None
    """Answer STARTTLS with this reply instead of starting TLS (e.g. ``454 4.7.0 ...``)."""
    auth_reply: str | None = None
    """Answer AUTH with this, after reading the credentials (``535 ...``, ``454 ...``)."""
    mail_reply: str | None = None
    """Answer MAIL FROM with this."""
    rcpt_reply: str | None = None
    """Answer every RCPT TO with this (``451``, ``452``, ``550``, ...)."""
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    """Per address (case-insensitive); takes precedence over ``rcpt_reply``."""
    data_reply: str | None = None
    """Answer the DATA command with this instead of ``354``."""
    data_without_recipients: bool = False
    """Answer DATA with ``354`` even when no recipient was accepted, then refuse what follows
    with ``554`` (RFC 2920 section 3.1: a client that pipelines must cope with that)."""
    data_end_reply: str | None = None
    """Answer the end of the message (the final dot) with this (``552``, ``554``, ``451``)."""
    drop_in_data: bool = False
    """After ``354`` and the first line of the body, drop the connection."""
    drop_after_data: bool = False
    """After the whole body arrived (final dot included), drop the connection without answering
    (the client cannot know whether the message was accepted; it is not recorded)."""
    close_after_messages: int | None = None
    """End each session after this many accepted messages. By default the connection is closed
    right after the last ``250`` (an idle timeout or a per-connection limit); with
    ``close_reply`` the server waits for the next command instead."""
    close_reply: str | None = None
    """With ``close_after_messages``: answer the next command with this reply and close (e.g.
    ``421 4.4.2 Idle too long``); ``""`` closes without answering it."""
    drop_on: str | None = None
    """Drop the connection without answering when this verb arrives (``RCPT``, ``DATA``...):
    with PIPELINING, the replies to the commands before it have been sent."""
    rset_reply: str | None = None
    """Answer RSET with this instead of ``250``."""
    stall_on: str | None = None
    """Stop answering at this step: a verb (``EHLO``, ``MAIL``, ``RCPT``, ``DATA``, ``AUTH``,
    ``STARTTLS``, ``QUIT``...) or ``DATA_END`` (after the whole body arrived)."""
    accept_slowly: float = 0.0
    """Take each message at its final dot (it counts as received) but answer ``250`` only
    this many seconds later: a slow server."""


@dataclass(frozen=True)
class Command:
    """One command line as received (continuation lines of AUTH are in ``raw`` only)."""

    session: int
    verb: str
    line: str
    tls: bool
    pipelined: bool = False
    """It arrived before the server had answered the command before it."""


@dataclass(frozen=True)
class ReceivedMessage:
    """A message the server accepted (``250`` after the final dot)."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    mail_options: tuple[str, ...]
    rcpt_options: dict[str, tuple[str, ...]]
    data: bytes
    """The body as received (CRLF line endings, dot-stuffing removed)."""
    message: EmailMessage
    """``data`` parsed with ``email.policy.default`` (line endings read as LF)."""
    tls: bool
    authenticated_as: str | None
    session: int
    received_at: float = 0.0
    """``time.monotonic()`` when the final dot arrived (for rate tests)."""


@dataclass
class SessionRecord:
    """One TCP connection, from accept to close."""

    id: int
    tls: bool = False
    tls_error: str | None = None
    ehlo_name: str | None = None
    authenticated_as: str | None = None
    auth_mechanism: str | None = None
    auth_attempts: list[tuple[str, str | None, bool]] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)
    raw: list[tuple[bool, bytes]] = field(default_factory=list)
    closed: bool = False

    def snapshot(self) -> SessionRecord:
        return dataclasses.replace(
            self,
            auth_attempts=list(self.auth_attempts),
            commands=list(self.commands),
            raw=list(self.raw),
        )

    @property
    def verbs(self) -> list[str]:
        return [c.verb for c in self.commands]


def credential_forms(username: str, password: str) -> list[bytes]:
    """Every form in which a password may cross the wire with PLAIN or LOGIN."""
    user, secret = username.encode(), password.encode()
    return [
        secret,
        base64.b64encode(secret),
        base64.b64encode(b"\0" + user + b"\0" + secret),
        base64.b64encode(user + b"\0" + user + b"\0" + secret),
    ]


class _ThreadedServer:
    """A TCP server on 127.0.0.1 (port 0 unless given) served by an asyncio loop in a thread."""

    def __init__(self, *, host: str = _LOCALHOST, port: int = 0, name: str = "test-server") -> None:
        self.host = host
        self._requested_port = port
        self._name = name
        self.port = 0
        self._lock = threading.RLock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None
        self._connections: set[tuple[asyncio.Task[None], asyncio.StreamWriter]] = set()
        self._errors: list[BaseException] = []

    # -- lifecycle (sync) ------------------------------------------------------------------

    def start(self) -> _ThreadedServer:
        if self._thread is not None:
            raise RuntimeError("already started")
        loop = asyncio.new_event_loop()
        loop.set_exception_handler(self._on_loop_error)
        self._loop = loop
        self._thread = threading.Thread(
            target=self._run_loop, name=f"{self._name}-{id(self):x}", daemon=True
        )
        self._thread.start()
        try:
            self._call(self._listen())
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            if loop.is_running():
                self._call(self._shutdown())
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(_THREAD_TIMEOUT)
            if thread.is_alive():  # pragma: no cover - would be a harness bug
                raise RuntimeError(f"{thread.name} did not stop")
            loop.close()
            self._loop = None
            self._thread = None

    def __enter__(self) -> Any:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    @property
    def errors(self) -> list[BaseException]:
        """Unexpected exceptions inside the server (a harness bug, not a client failure)."""
        with self._lock:
            return list(self._errors)

    # -- loop-thread internals -------------------------------------------------------------

    def _call(self, coro: Coroutine[Any, Any, Any], timeout: float = _THREAD_TIMEOUT) -> Any:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def _run_loop(self) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    async def _listen(self) -> None:
        loop = asyncio.get_running_loop()

        def connection() -> asyncio.StreamReaderProtocol:
            reader = _ArrivalReader(limit=_READ_LIMIT, loop=loop)
            return asyncio.StreamReaderProtocol(reader, self._accept, loop=loop)

        self._server = await loop.create_server(connection, self.host, self._requested_port)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        entry = (cast("asyncio.Task[None]", task), writer)
        self._connections.add(entry)
        try:
            await self._handle(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError, TimeoutError):
            pass
        except asyncio.CancelledError:
            # Only stop() cancels; ending quietly keeps Python 3.11's stream callback from
            # logging the cancellation as an error.
            pass
        except Exception as exc:
            log.exception("test server failed")
            with self._lock:
                self._errors.append(exc)
        finally:
            self._connections.discard(entry)
            writer.transport.abort()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for task, writer in list(self._connections):
            writer.transport.abort()
            task.cancel()
        tasks = [task for task, _ in self._connections]
        if tasks:
            await asyncio.wait(tasks, timeout=_THREAD_TIMEOUT)
        if self._server is not None:
            await self._server.wait_closed()

    def _on_loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        # Failed TLS handshakes and resets are expected in fault tests: keep them quiet.
        exc = context.get("exception")
        if isinstance(exc, ConnectionError | ssl.SSLError | TimeoutError):
            return
        log.debug("test server loop: %s", context.get("message"))


class SmtpTestServer(_ThreadedServer):
    """A configurable SMTP server; see the module docstring for an example."""

    def __init__(
        self,
        *,
        mode: Mode = "plain",
        tls_context: ssl.SSLContext | None = None,
        ca_pem: str | None = None,
        require_starttls: bool = False,
        hostname: str = "mx.test",
        users: Mapping[str, str] | None = None,
        auth_mechanisms: Iterable[str] = ("PLAIN", "LOGIN"),
        auth_require_tls: bool = True,
        require_auth: bool = False,
        size_limit: int | None = None,
        advertise_size: bool = True,
        dsn: bool = False,
        smtputf8: bool = False,
        eightbitmime: bool = True,
        pipelining: bool = True,
        batch_replies: bool = False,
        faults: Faults | None = None,
        host: str = _LOCALHOST,
        port: int = 0,
    ) -> None:
        super().__init__(host=host, port=port, name=f"smtp-{mode}")
        if mode != "plain" and tls_context is None:
            raise ValueError(f"mode={mode!r} needs a tls_context")
        self.mode: Mode = mode
        self.tls_context = tls_context
        self.ca_pem = ca_pem
        self.require_starttls = require_starttls
        self.hostname = hostname
        self.users = dict(users or {})
        self.auth_mechanisms = tuple(m.upper() for m in auth_mechanisms)
        self.auth_require_tls = auth_require_tls
        self.require_auth = require_auth
        self.size_limit = size_limit
        self.advertise_size = advertise_size
        self.dsn = dsn
        self.smtputf8 = smtputf8
        self.eightbitmime = eightbitmime
        self.pipelining = pipelining
        self.batch_replies = batch_replies
        self.faults = faults or Faults()
        self._session_ids = itertools.count(1)
        self._queue_ids = itertools.count(1)
        self._sessions: list[SessionRecord] = []
        self._messages: list[ReceivedMessage] = []
        self._changed = threading.Condition(self._lock)

    def __repr__(self) -> str:
        return f"<SmtpTestServer {self.mode} {self.host}:{self.port}>"

    # -- what a test reads -----------------------------------------------------------------

    @property
    def messages(self) -> list[ReceivedMessage]:
        with self._lock:
            return list(self._messages)

    @property
    def sessions(self) -> list[SessionRecord]:
        with self._lock:
            return [s.snapshot() for s in self._sessions]

    def transcript(self) -> list[Command]:
        """Every command line, all sessions, in order of arrival."""
        with self._lock:
            return [c for s in self._sessions for c in s.commands]

    def verbs(self) -> list[str]:
        """Command names only, all sessions: ``["EHLO", "MAIL", "RCPT", ...]``."""
        return [c.verb for c in self.transcript()]

    def received_bytes(self, *, cleartext_only: bool = False) -> bytes:
        """Everything the server read (lines, AUTH answers, message bodies), all sessions."""
        with self._lock:
            return b"".join(
                data for s in self._sessions for tls, data in s.raw if not (cleartext_only and tls)
            )

    def wait_for_messages(self, count: int = 1, timeout: float = 5.0) -> list[ReceivedMessage]:
        """Block until ``count`` messages arrived (for sync tests driving another process)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self._messages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"{len(self._messages)} of {count} messages arrived within {timeout} s"
                    )
                self._changed.wait(remaining)
            return list(self._messages)

    def clear(self) -> None:
        """Forget recorded sessions and messages (the configuration stays)."""
        with self._lock:
            self._sessions.clear()
            self._messages.clear()

    def settings(self, **overrides: Any) -> SmtpSettings:
        """``SmtpSettings`` pointing at this server, with the matching ``security``."""
        security = {"plain": Security.NONE, "starttls": Security.STARTTLS, "tls": Security.TLS}
        values: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "security": security[self.mode],
            "ca_bundle_pem": self.ca_pem if self.mode != "plain" else None,
            "timeout_seconds": 5.0,
            "auth_mechanism": AuthMechanism.AUTO,
        }
        values.update(overrides)
        return SmtpSettings(**values)

    # -- serving ---------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        record = SessionRecord(id=next(self._session_ids))
        with self._lock:
            self._sessions.append(record)
        try:
            await _Conversation(self, record, reader, writer).run()
        finally:
            with self._lock:
                record.closed = True
                self._changed.notify_all()

    def _record(self, record: SessionRecord, change: Callable[[SessionRecord], None]) -> None:
        with self._lock:
            change(record)

    def _accept_message(self, message: ReceivedMessage) -> None:
        with self._changed:
            self._messages.append(message)
            self._changed.notify_all()


class _ArrivalReader(asyncio.StreamReader):
    """A ``StreamReader`` that notes, for each chunk of input, how many commands the server had
    answered when it arrived (what ``clock()`` said), so that a command read later can tell
    whether the client sent it before it had the previous reply."""

    def __init__(self, *, limit: int, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(limit=limit, loop=loop)
        self.clock: Callable[[], int] = lambda: 0
        self.fed = 0
        """Bytes received so far."""
        self.arrivals: collections.deque[tuple[int, int]] = collections.deque()
        """(offset just past the chunk, commands answered when it came), oldest first."""

    def feed_data(self, data: bytes) -> None:
        if data:
            self.fed += len(data)
            self.arrivals.append((self.fed, self.clock()))
        super().feed_data(data)

    def answered_when(self, end: int) -> int:
        """Commands answered when the byte just before offset ``end`` arrived."""
        while len(self.arrivals) > 1 and self.arrivals[0][0] < end:
            self.arrivals.popleft()
        return self.arrivals[0][1] if self.arrivals else 0


@dataclass
class _Transaction:
    mail_from: str | None = None
    mail_options: tuple[str, ...] = ()
    rcpt_tos: list[str] = field(default_factory=list)
    rcpt_options: dict[str, tuple[str, ...]] = field(default_factory=dict)
    utf8: bool = False


class _Conversation:
    """The SMTP state machine for one connection (runs in the server thread)."""

    def __init__(
        self,
        server: SmtpTestServer,
        record: SessionRecord,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.server = server
        self.faults = server.faults
        self.record = record
        self.reader = reader
        self.writer = writer
        self.tls = False
        self.greeted = False
        self.extended = False
        self.authenticated_as: str | None = None
        self.txn = _Transaction()
        self.closing = False
        self.accepted = 0
        self.commands_read = 0
        self.answered = 0
        """Commands read when the server last replied (so: answered, or being answered)."""
        self.consumed = 0
        """Bytes of input read so far."""
        self.held: list[bytes] = []
        """Replies not written yet (``batch_replies``)."""
        self.arrivals = reader if isinstance(reader, _ArrivalReader) else None
        if self.arrivals is not None:
            self.arrivals.clock = lambda: self.answered

    # -- plumbing --------------------------------------------------------------------------

    def _note(self, change: Callable[[SessionRecord], None]) -> None:
        self.server._record(self.record, change)

    async def reply(self, *lines: str) -> None:
        """Send one reply; several lines become a multi-line reply (``250-...``/``250 ...``)."""
        if len(lines) == 1:
            out = [lines[0]]
        else:
            code = lines[0][:3]
            out = [f"{code}-{line[4:]}" for line in lines[:-1]] + [lines[-1]]
        if lines[-1].startswith("421"):
            self.closing = True
        self.answered = self.commands_read
        self.held.append(b"".join(line.encode("utf-8") + b"\r\n" for line in out))
        waiting = self.arrivals is not None and self.arrivals.fed > self.consumed
        if not (self.server.batch_replies and waiting and not self.closing):
            await self.flush()

    async def flush(self) -> None:
        """Write the replies held back (``batch_replies``) in one go."""
        if self.held:
            self.writer.write(b"".join(self.held))
            self.held.clear()
            await self.writer.drain()

    async def readline(self) -> bytes | None:
        """One CRLF line (kept with its ending), or None at end of stream."""
        await self.flush()  # only reached with replies held when more input was waiting
        try:
            line = await self.reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            partial = exc.partial
            if partial:
                self._note(lambda r: r.raw.append((self.tls, partial)))
            return None
        except asyncio.LimitOverrunError:
            await self.reply("500 5.5.2 Line too long")
            self.closing = True
            return None
        self._note(lambda r: r.raw.append((self.tls, line)))
        self.consumed += len(line)
        return line

    async def swallow(self) -> None:
        """Stay connected, read and record everything, answer nothing."""
        await self.flush()
        while chunk := await self.reader.read(65536):
            self._note(lambda r, c=chunk: r.raw.append((self.tls, c)))

    def stalls_on(self, step: str) -> bool:
        return self.faults.stall_on is not None and self.faults.stall_on.upper() == step

    async def start_tls(self) -> bool:
        assert self.server.tls_context is not None
        try:
            await self.writer.start_tls(
                self.server.tls_context, ssl_handshake_timeout=_HANDSHAKE_TIMEOUT
            )
        except (ssl.SSLError, OSError, TimeoutError) as exc:
            error = f"{type(exc).__name__}: {exc}"
            self._note(lambda r: setattr(r, "tls_error", error))
            return False
        self.tls = True
        self._note(lambda r: setattr(r, "tls", True))
        return True

    # -- the conversation ------------------------------------------------------------------

    async def run(self) -> None:
        if self.faults.silent:
            await self.swallow()
            return
        if self.server.mode == "tls" and not await self.start_tls():
            return
        if self.faults.greeting is not None:
            await self.reply(self.faults.greeting)
            return
        await self.reply(f"220 {self.server.hostname} ESMTP test server ready")
        unknown = 0
        while not self.closing:
            raw = await self.readline()
            if raw is None:
                return
            text = raw.rstrip(b"\r\n").decode("utf-8", "surrogateescape")
            verb, _, arg = text.partition(" ")
            verb = verb.upper()
            pipelined = self.arrivals is not None and (
                self.arrivals.answered_when(self.consumed) < self.commands_read
            )
            self.commands_read += 1
            command = Command(self.record.id, verb, text, self.tls, pipelined)
            self._note(lambda r, c=command: r.commands.append(c))
            if self._used_up() and self.faults.close_reply is not None:
                if self.faults.close_reply:
                    await self.reply(self.faults.close_reply)
                return
            if self.stalls_on(verb):
                await self.swallow()
                return
            if self.faults.drop_on is not None and self.faults.drop_on.upper() == verb:
                await self.flush()
                self.writer.transport.abort()
                return
            handler = getattr(self, f"smtp_{verb}", None) if verb.isalpha() else None
            if handler is None:
                unknown += 1
                if unknown >= _MAX_UNKNOWN_COMMANDS:
                    await self.reply("421 4.7.0 Too many unknown commands, closing")
                    return
                await self.reply("500 5.5.2 Command not recognized")
                continue
            await handler(arg.strip())

    # -- commands --------------------------------------------------------------------------

    def _extensions(self) -> list[str]:
        server = self.server
        lines: list[str] = []
        if server.advertise_size:
            lines.append(f"SIZE {server.size_limit}" if server.size_limit else "SIZE")
        if server.pipelining:
            lines.append("PIPELINING")
        if server.eightbitmime:
            lines.append("8BITMIME")
        if server.smtputf8:
            lines.append("SMTPUTF8")
        if server.dsn:
            lines.append("DSN")
        lines.append("ENHANCEDSTATUSCODES")
        if self._starttls_offered():
            lines.append("STARTTLS")
        if self._auth_offered():
            lines.append("AUTH " + " ".join(server.auth_mechanisms))
        return lines

    def _starttls_offered(self) -> bool:
        return self.server.mode == "starttls" and not self.tls

    def _auth_offered(self) -> bool:
        server = self.server
        return bool(server.users and server.auth_mechanisms) and (
            self.tls or not server.auth_require_tls
        )

    def _reset(self) -> None:
        self.txn = _Transaction()

    async def smtp_EHLO(self, arg: str) -> None:
        if not arg:
            await self.reply("501 5.5.4 Syntax: EHLO hostname")
            return
        if self.faults.ehlo_reply is not None:
            await self.reply(self.faults.ehlo_reply)
            return
        self.greeted = self.extended = True
        self._reset()
        self._note(lambda r: setattr(r, "ehlo_name", arg))
        await self.reply(
            f"250 {self.server.hostname} greets {arg}", *(f"250 {x}" for x in self._extensions())
        )

    async def smtp_HELO(self, arg: str) -> None:
        if not arg:
            await self.reply("501 5.5.4 Syntax: HELO hostname")
            return
        self.greeted, self.extended = True, False
        self._reset()
        self._note(lambda r: setattr(r, "ehlo_name", arg))
        await self.reply(f"250 {self.server.hostname}")

    async def smtp_STARTTLS(self, arg: str) -> None:
        if arg:
            await self.reply("501 5.5.4 Syntax: STARTTLS")
            return
        if self.faults.starttls_reply is not None:
            await self.reply(self.faults.starttls_reply)
            return
        if not self._starttls_offered():
            await self.reply("454 4.7.0 TLS not available")
            return
        await self.reply("220 2.0.0 Ready to start TLS")
        if not await self.start_tls():
            self.closing = True
            return
        # RFC 3207 section 4.2: forget everything learnt before TLS.
        self.greeted = self.extended = False
        self.authenticated_as = None
        self._reset()

    async def smtp_AUTH(self, arg: str) -> None:
        server = self.server
        if not self.extended:
            await self.reply("503 5.5.1 Send EHLO first")
            return
        if self.authenticated_as is not None:
            await self.reply("503 5.5.1 Already authenticated")
            return
        if not self._auth_offered():
            if server.users and server.auth_require_tls and not self.tls:
                await self.reply("538 5.7.11 Encryption required for requested authentication")
            else:
                await self.reply("502 5.5.1 AUTH not available")
            return
        mechanism, _, initial = arg.partition(" ")
        mechanism, initial = mechanism.upper(), initial.strip()
        if mechanism not in server.auth_mechanisms:
            await self.reply("504 5.5.4 Unrecognized authentication type")
            return
        if mechanism == "PLAIN":
            blob = self._b64(initial) if initial else await self.challenge(b"")
            if blob is None:
                return
            parts = blob.split(b"\0")
            if len(parts) != 3:
                await self.reply("501 5.5.2 Cannot split the PLAIN answer")
                return
            user, ok = self._check(parts[1], parts[2])
        elif mechanism == "LOGIN":
            login = self._b64(initial) if initial else await self.challenge(b"Username:")
            if login is None:
                return
            password = await self.challenge(b"Password:")
            if password is None:
                return
            user, ok = self._check(login, password)
        elif mechanism == "CRAM-MD5":
            nonce = f"<{secrets.token_hex(8)}.{time.time_ns()}@{server.hostname}>".encode()
            answer = await self.challenge(nonce)
            if answer is None:
                return
            name, _, digest = answer.decode("utf-8", "replace").rpartition(" ")
            secret = server.users.get(name)
            expected = (
                hmac.new(secret.encode(), nonce, "md5").hexdigest() if secret is not None else ""
            )
            user, ok = name, bool(expected) and hmac.compare_digest(expected, digest)
        else:  # pragma: no cover - only the three above are implemented
            await self.reply("504 5.5.4 Unrecognized authentication type")
            return
        if self.faults.auth_reply is not None:
            ok = self.faults.auth_reply.startswith("2")
            self._note(lambda r: r.auth_attempts.append((mechanism, user, ok)))
            if ok:
                self._authenticated(user, mechanism)
            await self.reply(self.faults.auth_reply)
            return
        self._note(lambda r: r.auth_attempts.append((mechanism, user, ok)))
        if ok:
            self._authenticated(user, mechanism)
            await self.reply("235 2.7.0 Authentication successful")
        else:
            await self.reply("535 5.7.8 Authentication credentials invalid")

    def _authenticated(self, user: str | None, mechanism: str) -> None:
        self.authenticated_as = user

        def change(r: SessionRecord) -> None:
            r.authenticated_as = user
            r.auth_mechanism = mechanism

        self._note(change)

    def _check(self, login: bytes, password: bytes) -> tuple[str, bool]:
        user = login.decode("utf-8", "replace")
        expected = self.server.users.get(user)
        ok = expected is not None and hmac.compare_digest(expected.encode(), password)
        return user, ok

    def _b64(self, text: str) -> bytes | None:
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            return None

    async def challenge(self, prompt: bytes) -> bytes | None:
        await self.reply("334 " + base64.b64encode(prompt).decode("ascii"))
        line = await self.readline()
        if line is None:
            self.closing = True
            return None
        answer = line.strip()
        if answer == b"*":
            await self.reply("501 5.7.0 Authentication cancelled")
            return None
        decoded = self._b64(answer.decode("ascii", "replace"))
        if decoded is None:
            await self.reply("501 5.5.2 Cannot decode the answer")
        return decoded

    def _policy_refusal(self) -> str | None:
        if not self.greeted:
            return "503 5.5.1 Send EHLO or HELO first"
        if self.server.require_starttls and not self.tls:
            return "530 5.7.0 Must issue a STARTTLS command first"
        if self.server.require_auth and self.authenticated_as is None:
            return "530 5.7.0 Authentication required"
        return None

    def _params(self, params: str | None, allowed: set[str]) -> dict[str, str] | None:
        result: dict[str, str] = {}
        for item in (params or "").split():
            key, _, value = item.partition("=")
            if key.upper() not in allowed:
                return None
            result[key.upper()] = value
        return result

    async def smtp_MAIL(self, arg: str) -> None:
        refusal = self._policy_refusal()
        if refusal:
            await self.reply(refusal)
            return
        if self.txn.mail_from is not None:
            await self.reply("503 5.5.1 Nested MAIL command")
            return
        match = _ADDRESS.match(arg)
        if not match or match["kw"].upper() != "FROM":
            await self.reply("501 5.5.4 Syntax: MAIL FROM:<address>")
            return
        server = self.server
        allowed = set()
        if self.extended:
            allowed |= {"SIZE"} if server.advertise_size else set()
            allowed |= {"BODY"} if server.eightbitmime else set()
            allowed |= {"SMTPUTF8"} if server.smtputf8 else set()
            allowed |= {"RET", "ENVID"} if server.dsn else set()
        params = self._params(match["params"], allowed)
        if params is None:
            await self.reply("555 5.5.4 MAIL FROM parameter not recognized")
            return
        if "SIZE" in params:
            if not params["SIZE"].isdigit():
                await self.reply("501 5.5.4 SIZE needs a number")
                return
            if server.size_limit and int(params["SIZE"]) > server.size_limit:
                await self.reply("552 5.3.4 Message size exceeds fixed maximum message size")
                return
        if "BODY" in params and params["BODY"].upper() not in ("7BIT", "8BITMIME"):
            await self.reply("501 5.5.4 BODY is 7BIT or 8BITMIME")
            return
        address = match["addr"]
        utf8 = "SMTPUTF8" in params
        if not address.isascii() and not utf8:
            await self.reply("553 5.6.7 Non-ASCII address needs SMTPUTF8")
            return
        if self.faults.mail_reply is not None:
            await self.reply(self.faults.mail_reply)
            if not self.faults.mail_reply.startswith("2"):
                return
        self.txn = _Transaction(
            mail_from=address, mail_options=tuple((match["params"] or "").split()), utf8=utf8
        )
        if self.faults.mail_reply is None:
            await self.reply("250 2.1.0 Sender OK")

    async def smtp_RCPT(self, arg: str) -> None:
        refusal = self._policy_refusal()
        if refusal:
            await self.reply(refusal)
            return
        if self.txn.mail_from is None:
            await self.reply("503 5.5.1 Need MAIL before RCPT")
            return
        match = _ADDRESS.match(arg)
        if not match or match["kw"].upper() != "TO":
            await self.reply("501 5.5.4 Syntax: RCPT TO:<address>")
            return
        allowed = {"NOTIFY", "ORCPT"} if self.server.dsn and self.extended else set()
        params = self._params(match["params"], allowed)
        if params is None:
            await self.reply("555 5.5.4 RCPT TO parameter not recognized")
            return
        address = match["addr"]
        if not address.isascii() and not self.txn.utf8:
            await self.reply("553 5.6.7 Non-ASCII address needs SMTPUTF8")
            return
        by_address = {k.casefold(): v for k, v in self.faults.rcpt_replies.items()}
        fault = by_address.get(address.casefold(), self.faults.rcpt_reply)
        if fault is not None:
            await self.reply(fault)
            if not fault.startswith("2"):
                return
        self.txn.rcpt_tos.append(address)
        self.txn.rcpt_options[address] = tuple((match["params"] or "").split())
        if fault is None:
            await self.reply("250 2.1.5 Recipient OK")

    async def smtp_DATA(self, arg: str) -> None:
        refusal = self._policy_refusal()
        if refusal:
            await self.reply(refusal)
            return
        if arg:
            await self.reply("501 5.5.4 Syntax: DATA")
            return
        if not self.txn.rcpt_tos and not self.faults.data_without_recipients:
            await self.reply("503 5.5.1 Need RCPT before DATA")
            return
        if self.faults.data_reply is not None:
            await self.reply(self.faults.data_reply)
            return
        await self.reply("354 End data with <CR><LF>.<CR><LF>")
        lines: list[bytes] = []
        while True:
            line = await self.readline()
            if line is None:
                self.closing = True
                return
            if self.faults.drop_in_data:
                self.writer.transport.abort()
                self.closing = True
                return
            if line in (b".\r\n", b".\n"):
                break
            lines.append(line[1:] if line.startswith(b".") else line)
        data = b"".join(lines)
        txn, self.txn = self.txn, _Transaction()
        if self.faults.drop_after_data:
            self.writer.transport.abort()
            self.closing = True
            return
        if self.stalls_on("DATA_END"):
            await self.swallow()
            self.closing = True
            return
        if not txn.rcpt_tos:
            await self.reply("554 5.5.1 No valid recipients")
            return
        if self.server.size_limit and len(data) > self.server.size_limit:
            await self.reply("552 5.3.4 Message too big")
            return
        final = self.faults.data_end_reply
        if final is not None and not final.startswith("2"):
            await self.reply(final)
            return
        assert txn.mail_from is not None
        self.server._accept_message(
            ReceivedMessage(
                mail_from=txn.mail_from,
                rcpt_tos=tuple(txn.rcpt_tos),
                mail_options=txn.mail_options,
                rcpt_options=dict(txn.rcpt_options),
                data=data,
                message=_parse(data),
                tls=self.tls,
                authenticated_as=self.authenticated_as,
                session=self.record.id,
                received_at=time.monotonic(),
            )
        )
        if self.faults.accept_slowly:
            await asyncio.sleep(self.faults.accept_slowly)
        await self.reply(final or f"250 2.0.0 OK queued as T{next(self.server._queue_ids)}")
        self.accepted += 1
        if self._used_up() and self.faults.close_reply is None:
            self.closing = True

    def _used_up(self) -> bool:
        limit = self.faults.close_after_messages
        return limit is not None and self.accepted >= limit

    async def smtp_RSET(self, arg: str) -> None:
        self._reset()
        await self.reply(self.faults.rset_reply or "250 2.0.0 OK")

    async def smtp_NOOP(self, arg: str) -> None:
        await self.reply("250 2.0.0 OK")

    async def smtp_VRFY(self, arg: str) -> None:
        await self.reply("252 2.1.5 Cannot VRFY user, but will accept message")

    async def smtp_QUIT(self, arg: str) -> None:
        await self.reply("221 2.0.0 Bye")
        self.closing = True


def _parse(data: bytes) -> EmailMessage:
    """``email.policy.default`` parse, with CRLF read as LF so text parts compare to "...\n"."""
    parsed = BytesParser(policy=policy.default).parsebytes(data.replace(b"\r\n", b"\n"))
    return cast(EmailMessage, parsed)


class NotSmtpServer(_ThreadedServer):
    """Something that is not SMTP: by default an HTTP server answering 400 and closing."""

    def __init__(
        self,
        response: bytes = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
        *,
        host: str = _LOCALHOST,
        port: int = 0,
    ) -> None:
        super().__init__(host=host, port=port, name="not-smtp")
        self.response = response
        self._count = 0

    @property
    def connections(self) -> int:
        with self._lock:
            return self._count

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with self._lock:
            self._count += 1
        writer.write(self.response)
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()
