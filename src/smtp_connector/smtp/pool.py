"""Reusing logged-in SMTP sessions across messages: :class:`SmtpPool`, for the delivery workers.

:func:`smtp_connector.smtp.client.deliver` opens one conversation per message: connect, greeting,
EHLO, STARTTLS, EHLO, AUTH, then MAIL/RCPT/DATA and QUIT. A pool keeps the conversation open after
the message and sends the next one over it, starting with MAIL (RSET first only when the last
transaction was left unfinished), so a busy connection pays for the TLS handshake and the login
once instead of once per message.

Sessions are opened exactly as ``deliver`` opens them (:meth:`Session.open
<smtp_connector.smtp.session.Session.open>` and :func:`~smtp_connector.smtp.auth.log_in`) and
messages go through the same :func:`~smtp_connector.smtp.transaction.send`, so the errors, hints
and redaction are those of ``deliver`` (see the table in :mod:`smtp_connector.smtp.client`).

Rules:

* Sessions are keyed by the :class:`~smtp_connector.smtp.types.SmtpSettings` (a new password or
  port is a new key). At most ``max_sessions`` sessions per key are open at once (the per-call
  ``max_sessions`` wins over the pool's default); callers beyond that wait, first come first
  served, for a session to come back or a place to free up.
* A session goes back to the pool after each message, once the transaction has cleaned up after
  itself (a refusal is followed by RSET). It is closed instead (QUIT, or dropped when the
  connection is gone) after a transport error, a ``421``, or ``max_messages_per_session``
  messages. Idle sessions are closed with QUIT after ``idle_seconds`` by a small reaper task that
  runs only while there are idle sessions.
* A *reused* session that fails before any of the message body went out (the connection dropped,
  or a ``421``, at RSET, MAIL or the first RCPT: the server closed an idle connection) is
  dropped, and the message is sent once more over a new session, without the caller noticing.
  Nothing is sent again after DATA began, nor when the outcome is unknown
  (``DeliveryError.outcome_unknown``).

Limits are per pool, and a pool lives in one process: several processes (or several pools) each
open up to ``max_sessions`` sessions per connection. A pool serves one event loop at a time and is
safe for any number of tasks in it; it is not thread-safe.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from contextlib import suppress
from dataclasses import dataclass, field

from smtp_connector.errors import (
    ConnectFailed,
    ConnectionDropped,
    ConnectorError,
    DeliveryError,
    InvalidInput,
    ReplyError,
    TransportError,
)
from smtp_connector.mail.message import Envelope
from smtp_connector.mail.replies import ReplyCode
from smtp_connector.smtp.auth import log_in
from smtp_connector.smtp.diagnose import with_hint
from smtp_connector.smtp.session import Session
from smtp_connector.smtp.transaction import send
from smtp_connector.smtp.types import DeliveryResult, SmtpSettings

__all__ = ["SmtpPool"]

# Steps after which a failure on a reused session means "stale connection", not "this message":
# nothing of the message has been accepted yet, so sending it again cannot deliver it twice.
_STALE_STEPS = frozenset({"RSET", "MAIL FROM"})


@dataclass(eq=False)
class _Pooled:
    """A session owned by the pool, with how often it was used and since when it is idle."""

    session: Session
    uses: int = 0
    idle_since: float = 0.0


@dataclass(eq=False)
class _Waiter:
    """A caller waiting for a session (the future's result) or a place to open one (``None``)."""

    future: asyncio.Future[_Pooled | None]
    limit: int


@dataclass(eq=False)
class _Bucket:
    """The sessions of one set of settings."""

    key: SmtpSettings
    idle: list[_Pooled] = field(default_factory=list)
    """Least recently used first; sessions are taken from the end."""
    busy: set[_Pooled] = field(default_factory=set)
    """Sessions opening, sending, or handed to a waiter that has not woken up yet."""
    open: int = 0
    """Places taken: idle and busy sessions, and places granted but not yet opened."""
    waiters: deque[_Waiter] = field(default_factory=deque)

    def empty(self) -> bool:
        return self.open == 0 and not self.waiters


class SmtpPool:
    """Open SMTP sessions, reused across messages; see the module docstring."""

    def __init__(
        self,
        *,
        max_sessions: int = 4,
        idle_seconds: float = 30.0,
        max_messages_per_session: int = 1000,
    ) -> None:
        if max_sessions < 1:
            raise ValueError("max_sessions must be at least 1")
        if idle_seconds < 0:
            raise ValueError("idle_seconds must not be negative")
        if max_messages_per_session < 1:
            raise ValueError("max_messages_per_session must be at least 1")
        self.max_sessions = max_sessions
        self.idle_seconds = idle_seconds
        self.max_messages_per_session = max_messages_per_session
        self._buckets: dict[SmtpSettings, _Bucket] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reaper: asyncio.Task[None] | None = None
        self._quitting: set[asyncio.Task[None]] = set()
        self._closing = False
        self._closed: asyncio.Event | None = None
        self._counts = {"opened": 0, "reused": 0, "reconnected": 0, "discarded": 0, "expired": 0}

    def __repr__(self) -> str:
        stats = self.stats()
        return f"<SmtpPool idle={stats['idle']} busy={stats['busy']} waiting={stats['waiting']}>"

    # -- the API ----------------------------------------------------------------------------

    async def deliver(
        self,
        settings: SmtpSettings,
        envelope: Envelope,
        data: bytes,
        *,
        max_sessions: int | None = None,
    ) -> DeliveryResult:
        """Send ``data`` for ``envelope`` over a pooled session; like ``client.deliver``.

        ``max_sessions`` caps the sessions open for these settings (default: the pool's). The
        errors are those of :func:`smtp_connector.smtp.client.deliver`.
        """
        if not envelope.rcpt_to:
            raise InvalidInput.field(
                "rcpt_to", "At least one recipient is needed to send a message."
            )
        limit = self.max_sessions if max_sessions is None else max_sessions
        if limit < 1:
            raise ValueError("max_sessions must be at least 1")
        self._bind_loop()
        if self._closing:
            raise _pool_closed()
        self._expire(settings)
        bucket = self._buckets.get(settings)
        if bucket is None:
            bucket = self._buckets[settings] = _Bucket(settings)

        pooled = await self._acquire(bucket, limit)
        reused = pooled is not None
        if pooled is None:
            pooled = await self._open(bucket)
        else:
            self._counts["reused"] += 1
        while True:
            try:
                result = await self._transact(pooled, envelope, data, reused=reused)
            except BaseException as error:
                if reused and _stale(pooled.session, error):
                    # The server let go of the idle connection: same message, new session, once.
                    bucket.busy.discard(pooled)
                    pooled.session.abort()
                    self._counts["discarded"] += 1
                    self._counts["reconnected"] += 1
                    pooled = await self._open(bucket)
                    reused = False
                    continue
                self._settle(bucket, pooled, limit, error)
                raise
            self._settle(bucket, pooled, limit, None)
            return result

    async def prune(self) -> int:
        """Close (QUIT) the sessions idle for ``idle_seconds`` or more now; how many there were.

        The reaper does this on its own; this is for callers that want it done at once.
        """
        self._bind_loop()
        expired = 0
        for key in list(self._buckets):
            expired += self._expire(key)
        await self._wait_for_quits()
        return expired

    async def close(self) -> None:
        """QUIT every idle session, then drop the busy ones; idempotent.

        Callers still waiting for a session get ``ConnectFailed`` (retryable), and so does any
        ``deliver`` afterwards. When ``close`` returns, no session is open and no task of the
        pool is left.
        """
        self._bind_loop()
        if self._closed is not None:
            await self._closed.wait()
            return
        self._closed = asyncio.Event()
        self._closing = True
        try:
            if self._reaper is not None:
                self._reaper.cancel()
                with suppress(asyncio.CancelledError):
                    await self._reaper
                self._reaper = None
            idle: list[_Pooled] = []
            for bucket in self._buckets.values():
                while bucket.waiters:
                    waiter = bucket.waiters.popleft()
                    if not waiter.future.done():
                        waiter.future.set_exception(_pool_closed())
                idle += bucket.idle
                bucket.open -= len(bucket.idle)
                bucket.idle.clear()
            await asyncio.gather(*(p.session.quit() for p in idle))
            for bucket in self._buckets.values():
                for pooled in bucket.busy:
                    pooled.session.abort()
            await self._wait_for_quits()
        finally:
            self._buckets = {key: b for key, b in self._buckets.items() if not b.empty()}
            self._closed.set()

    def stats(self) -> dict[str, int]:
        """Counters since the pool was made, and the sessions now idle, busy, and callers waiting.

        ``opened``: sessions opened; ``reused``: messages sent over an already open session;
        ``reconnected``: messages sent again over a new session after a reused one turned out
        stale; ``discarded``: sessions closed after an error, a ``421`` or their message limit;
        ``expired``: sessions closed after ``idle_seconds``.
        """
        buckets = self._buckets.values()
        idle = sum(len(b.idle) for b in buckets)
        return {
            **self._counts,
            "idle": idle,
            "busy": sum(b.open for b in buckets) - idle,
            "waiting": sum(1 for b in buckets for w in b.waiters if not w.future.done()),
        }

    # -- sending ----------------------------------------------------------------------------

    async def _transact(
        self, pooled: _Pooled, envelope: Envelope, data: bytes, *, reused: bool
    ) -> DeliveryResult:
        pooled.uses += 1
        session = pooled.session
        if reused:
            await session.ready_for_mail()
        return await send(session, envelope, data)

    async def _open(self, bucket: _Bucket) -> _Pooled:
        """Open and log in a session in a place already taken; gives the place back on failure."""
        session = Session(bucket.key)
        pooled = _Pooled(session)
        bucket.busy.add(pooled)  # so that close() can drop it while it opens
        try:
            if self._closing:
                raise _pool_closed()
            await session.open()
            if self._closing:  # no password once the pool is closing
                raise _pool_closed()
            await log_in(session)
            if self._closing:
                raise _pool_closed()
        except BaseException as error:
            bucket.busy.discard(pooled)
            if isinstance(error, ConnectorError) and not self._closing:
                await session.quit()
            else:
                session.abort()
            self._free_place(bucket)
            raise
        self._counts["opened"] += 1
        return pooled

    def _settle(
        self, bucket: _Bucket, pooled: _Pooled, limit: int, error: BaseException | None
    ) -> None:
        """After a message: back to the pool, or closed (see the module docstring)."""
        bucket.busy.discard(pooled)
        session = pooled.session
        if _broken(error) or not session.is_connected:
            session.abort()
            self._counts["discarded"] += 1
            self._free_place(bucket)
        elif pooled.uses >= self.max_messages_per_session:
            self._quit(session)
            self._counts["discarded"] += 1
            self._free_place(bucket)
        else:
            self._release(bucket, pooled, limit)

    # -- places and waiters -----------------------------------------------------------------

    async def _acquire(self, bucket: _Bucket, limit: int) -> _Pooled | None:
        """An idle session, or ``None``: a place to open a new one. Waits its turn if needed."""
        if self._next_waiter(bucket) is None:
            if bucket.idle:
                return self._take_idle(bucket)
            if bucket.open < limit:
                bucket.open += 1
                return None
        waiter = _Waiter(asyncio.get_running_loop().create_future(), limit)
        bucket.waiters.append(waiter)
        try:
            return await waiter.future
        except asyncio.CancelledError:
            future = waiter.future
            if future.done() and not future.cancelled() and future.exception() is None:
                handed = future.result()  # handed over just as we were cancelled: pass it on
                if handed is None:
                    self._free_place(bucket)
                else:
                    bucket.busy.discard(handed)
                    self._release(bucket, handed, limit)
            with suppress(ValueError):
                bucket.waiters.remove(waiter)
            raise

    def _release(self, bucket: _Bucket, pooled: _Pooled, limit: int) -> None:
        """A healthy session is free: to the first waiter, else idle (or closed, when surplus)."""
        if self._closing:
            self._quit(pooled.session)
            self._free_place(bucket)
            return
        waiter = self._next_waiter(bucket)
        if waiter is not None:
            bucket.waiters.popleft()
            bucket.busy.add(pooled)
            waiter.future.set_result(pooled)
        elif bucket.open > limit:
            self._quit(pooled.session)
            self._free_place(bucket)
        else:
            pooled.idle_since = time.monotonic()
            bucket.idle.append(pooled)
            self._start_reaper()

    def _free_place(self, bucket: _Bucket) -> None:
        """A session of ``bucket`` is gone: let waiters in, forget the bucket when empty."""
        bucket.open -= 1
        while (waiter := self._next_waiter(bucket)) is not None:
            if bucket.idle:
                bucket.waiters.popleft()
                waiter.future.set_result(self._take_idle(bucket))
            elif bucket.open < waiter.limit:
                bucket.open += 1
                bucket.waiters.popleft()
                waiter.future.set_result(None)
            else:
                break
        if bucket.empty() and self._buckets.get(bucket.key) is bucket:
            del self._buckets[bucket.key]

    def _take_idle(self, bucket: _Bucket) -> _Pooled | None:
        """The most recently used idle session, or ``None`` (its place, to open a new one) when
        the server has already closed it."""
        pooled = bucket.idle.pop()
        if pooled.session.is_connected:
            bucket.busy.add(pooled)
            return pooled
        pooled.session.abort()
        self._counts["discarded"] += 1
        return None

    @staticmethod
    def _next_waiter(bucket: _Bucket) -> _Waiter | None:
        """The first waiter still waiting (cancelled ones are dropped on the way)."""
        while bucket.waiters:
            waiter = bucket.waiters[0]
            if not waiter.future.done():
                return waiter
            bucket.waiters.popleft()
        return None

    # -- closing sessions -------------------------------------------------------------------

    def _quit(self, session: Session) -> None:
        """QUIT in the background (awaited by ``close``); drop at once once the pool is closed."""
        if self._closed is not None and self._closed.is_set():
            session.abort()
            return
        task = asyncio.get_running_loop().create_task(session.quit(), name="smtp-pool-quit")
        self._quitting.add(task)
        task.add_done_callback(self._quitting.discard)

    async def _wait_for_quits(self) -> None:
        while self._quitting:
            await asyncio.gather(*self._quitting, return_exceptions=True)

    def _expire(self, key: SmtpSettings) -> int:
        """QUIT the sessions of ``key`` idle for ``idle_seconds``; how many there were."""
        bucket = self._buckets.get(key)
        if bucket is None:
            return 0
        now = time.monotonic()
        expired = 0
        while bucket.idle and self._deadline(bucket.idle[0]) <= now:
            pooled = bucket.idle.pop(0)
            self._quit(pooled.session)
            self._counts["expired"] += 1
            expired += 1
            self._free_place(bucket)
        return expired

    def _start_reaper(self) -> None:
        if self._reaper is None or self._reaper.done():
            loop = asyncio.get_running_loop()
            self._reaper = loop.create_task(self._reap(), name="smtp-pool-reaper")

    async def _reap(self) -> None:
        """Close idle sessions as they expire; ends when none is idle."""
        while not self._closing:
            deadlines = [self._deadline(b.idle[0]) for b in self._buckets.values() if b.idle]
            if not deadlines:
                return
            delay = min(deadlines) - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            for key in list(self._buckets):
                self._expire(key)

    def _deadline(self, pooled: _Pooled) -> float:
        """When an idle session expires (the same sum for the reaper and for ``_expire``)."""
        return pooled.idle_since + self.idle_seconds

    def _bind_loop(self) -> None:
        """Serve the running loop; start afresh if the loop that had the sessions is gone."""
        loop = asyncio.get_running_loop()
        if self._loop is loop:
            return
        if self._loop is not None and not self._loop.is_closed() and self._loop.is_running():
            raise RuntimeError("an SmtpPool serves one event loop at a time")
        # The old loop is closed or stopped: its sessions and tasks went with it.
        self._loop = loop
        self._buckets = {}
        self._reaper = None
        self._quitting = set()


def _broken(error: BaseException | None) -> bool:
    """The session must not be reused after ``error``."""
    if error is None:
        return False
    if not isinstance(error, ConnectorError):  # cancelled, or a bug: state unknown
        return True
    return isinstance(error, TransportError) or _is_421(error)


def _is_421(error: BaseException) -> bool:
    return isinstance(error, ReplyError) and error.reply.code == ReplyCode.SERVICE_UNAVAILABLE


def _stale(session: Session, error: BaseException) -> bool:
    """A reused session failed before any of the message went out, as a closed one does."""
    if not isinstance(error, DeliveryError) or error.outcome_unknown:
        return False
    if not (isinstance(error, ConnectionDropped) or _is_421(error)):
        return False
    step = session.current_step
    return step in _STALE_STEPS or (step == "RCPT TO" and session.recipients_answered == 0)


def _pool_closed() -> ConnectFailed:
    return with_hint(
        ConnectFailed(
            "The message was not sent: the SMTP session pool is closed (the connector is "
            "shutting down)."
        ),
        "try again later",
    )
