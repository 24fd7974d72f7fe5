"""aiosmtpd, the well-known Python SMTP server, in a thread: interoperability tests for the client.

The project's own harness (``support.smtp_server``) is written from scratch for fault injection;
this one runs the real thing, so a test proves the client also gets along with a server it did
not grow up with.

    server = AiosmtpdServer(mode="starttls", tls_context=ca.server_context(), ca_pem=ca.ca_pem,
                            users={"alice": "s3cret"})
    with server:                                   # start() ... stop()
        settings = server.settings(username="alice", password="s3cret")
        ... deliver(settings, envelope, data) ...
        [received] = server.messages               # Received
        received.mail_from, received.rcpt_tos, received.message["Subject"], received.login
        server.auth_attempts                       # [("PLAIN", "alice")]

Modes:

``plain``
    No TLS at all.
``starttls``
    aiosmtpd's ``tls_context`` with ``require_starttls=True`` (nothing but EHLO, STARTTLS, NOOP
    and QUIT before TLS) and ``auth_require_tls=True`` (AUTH offered only after STARTTLS).
``tls``
    TLS from the first byte (the Controller's ``ssl_context``). aiosmtpd only knows about TLS it
    started itself with STARTTLS, so here it would never offer AUTH with ``auth_require_tls``:
    that check is switched off, the socket being TLS anyway.

Faults: ``reject_rcpt`` (that address gets ``550 5.1.1``), ``data_reply`` (the server's answer
to the message, e.g. ``552 ...``; the message is still recorded, with that reply), and
``auth_fails`` (every login gets aiosmtpd's ``535 5.7.8``). ``AUTH PLAIN`` and ``AUTH LOGIN`` are
aiosmtpd's built-in mechanisms; ``users`` is what the authenticator accepts.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import hmac
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword, TLSSetupException

from smtp_connector.smtp.types import AuthMechanism, Security, SmtpSettings

__all__ = ["AiosmtpdServer", "Received"]

Mode = Literal["plain", "starttls", "tls"]
HOST = "127.0.0.1"
SERVER_NAME = "mx.test"
ACCEPTED = "250 2.0.0 OK: queued by aiosmtpd"


@dataclass(frozen=True)
class Received:
    """One message as aiosmtpd got it (after DATA), with the session it came in."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    mail_options: tuple[str, ...]
    rcpt_options: tuple[str, ...]
    data: bytes
    """The message bytes, dot-unstuffed, as aiosmtpd stores them (``original_content``)."""
    tls: bool
    login: str | None
    """The user that logged in on this session, if any."""
    ehlo_name: str | None
    reply: str
    """What the server answered to the message (``250 ...`` unless ``data_reply`` was set)."""

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)


class AiosmtpdServer:
    """An aiosmtpd ``Controller`` on a free port of 127.0.0.1 that records what it receives."""

    def __init__(
        self,
        *,
        mode: Mode = "plain",
        tls_context: ssl.SSLContext | None = None,
        ca_pem: str | None = None,
        users: Mapping[str, str] | None = None,
        auth_fails: bool = False,
        reject_rcpt: str | None = None,
        data_reply: str | None = None,
    ) -> None:
        if mode != "plain" and tls_context is None:
            raise ValueError(f"mode={mode!r} needs a tls_context")
        self.mode: Mode = mode
        self.ca_pem = ca_pem
        self.users = dict(users or {})
        self.auth_fails = auth_fails
        self.reject_rcpt = reject_rcpt
        self.data_reply = data_reply
        self._lock = threading.Lock()
        self._messages: list[Received] = []
        self._auth_attempts: list[tuple[str, str]] = []
        self._errors: list[BaseException] = []

        smtp_options: dict[str, Any] = {"server_hostname": SERVER_NAME}
        if users is not None or auth_fails:
            smtp_options["authenticator"] = self._authenticate
        if mode == "starttls":
            smtp_options.update(
                tls_context=tls_context, require_starttls=True, auth_require_tls=True
            )
        elif mode == "tls":
            smtp_options.update(ssl_context=tls_context, auth_require_tls=False)
        self._controller = _EphemeralPortController(_Handler(self), **smtp_options)
        self._running = False

    def __repr__(self) -> str:
        return f"<AiosmtpdServer {self.mode} {HOST}:{self.port if self._running else '-'}>"

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> AiosmtpdServer:
        self._controller.start()
        self._running = True
        return self

    def stop(self) -> None:
        if self._running:
            self._running = False
            self._controller.stop()

    def __enter__(self) -> AiosmtpdServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- what happened ----------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._controller.port)

    @property
    def messages(self) -> list[Received]:
        with self._lock:
            return list(self._messages)

    @property
    def auth_attempts(self) -> list[tuple[str, str]]:
        """``(mechanism, login)`` for each AUTH that reached the authenticator."""
        with self._lock:
            return list(self._auth_attempts)

    @property
    def errors(self) -> list[BaseException]:
        """Exceptions inside aiosmtpd or the handler (failed TLS handshakes are not errors)."""
        with self._lock:
            return list(self._errors)

    def settings(self, **overrides: Any) -> SmtpSettings:
        """``SmtpSettings`` pointing at this server, with the matching ``security``."""
        security = {"plain": Security.NONE, "starttls": Security.STARTTLS, "tls": Security.TLS}
        values: dict[str, Any] = {
            "host": HOST,
            "port": self.port,
            "security": security[self.mode],
            "ca_bundle_pem": self.ca_pem if self.mode != "plain" else None,
            "timeout_seconds": 5.0,
            "auth_mechanism": AuthMechanism.AUTO,
        }
        values.update(overrides)
        return SmtpSettings(**values)

    # -- called by aiosmtpd, in the server thread ----------------------------------------------

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode("utf-8", "replace")
        with self._lock:
            self._auth_attempts.append((mechanism, login))
        expected = self.users.get(login)
        ok = (
            not self.auth_fails
            and expected is not None
            and hmac.compare_digest(auth_data.password, expected.encode("utf-8"))
        )
        # handled=False: aiosmtpd answers 235, or 535 5.7.8 on failure.
        return AuthResult(success=ok, handled=False, auth_data=login if ok else None)

    def _record(self, message: Received) -> None:
        with self._lock:
            self._messages.append(message)

    def _error(self, error: BaseException) -> None:
        with self._lock:
            self._errors.append(error)


class _Handler:
    """aiosmtpd's handler hooks: refuse the chosen recipient, record every message."""

    def __init__(self, owner: AiosmtpdServer) -> None:
        self.owner = owner

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        refused = self.owner.reject_rcpt
        if refused is not None and address.lower() == refused.lower():
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = self.owner.data_reply or ACCEPTED
        transport = server.transport
        self.owner._record(
            Received(
                mail_from=envelope.mail_from,
                rcpt_tos=tuple(envelope.rcpt_tos),
                mail_options=tuple(envelope.mail_options),
                rcpt_options=tuple(envelope.rcpt_options),
                data=bytes(envelope.original_content),
                tls=transport is not None and transport.get_extra_info("ssl_object") is not None,
                login=session.auth_data if session.authenticated else None,
                ehlo_name=session.host_name,
                reply=reply,
            )
        )
        return reply

    async def handle_exception(self, error: Exception) -> str:
        # Without this hook aiosmtpd logs each failed STARTTLS handshake with a traceback.
        if not isinstance(error, TLSSetupException):
            self.owner._error(error)
        return "500 5.3.0 Error in the test server"


class _EphemeralPortController(Controller):
    """A threaded ``Controller`` listening on a port of 127.0.0.1 that the OS picks.

    ``Controller.start()`` checks readiness by connecting to ``self.port``, so port 0 cannot
    simply be passed in. Here the listener binds port 0 and stores the port it got before the
    server thread signals readiness, so the check (and every client) uses the real port.
    """

    def __init__(self, handler: _Handler, **kwargs: Any) -> None:
        super().__init__(handler, hostname=HOST, port=0, **kwargs)

    def _create_server(self) -> Any:
        return self._bind()

    async def _bind(self) -> asyncio.AbstractServer:
        server = await self.loop.create_server(
            self._factory_invoker, host=self.hostname, port=0, ssl=self.ssl_context
        )
        self.port = server.sockets[0].getsockname()[1]
        return server
