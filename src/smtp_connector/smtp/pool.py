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
  served, for a session to come back or a slot to free up.
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

Who gets which session or slot, and when idle sessions expire, is kept by
:class:`~smtp_connector.smtp.slots.Slots`; this module decides what to do with a session.
"""

from __future__ import annotations

import asyncio

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
from smtp_connector.smtp.slots import Bucket, PooledSession, Slots
from smtp_connector.smtp.transaction import send
from smtp_connector.smtp.types import DeliveryResult, SmtpSettings

__all__ = ["SmtpPool"]

# Steps after which a failure on a reused session means "stale connection", not "this message":
# nothing of the message has been accepted yet, so sending it again cannot deliver it twice.
_STALE_STEPS = frozenset({"RSET", "MAIL FROM"})


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
        self.max_messages_per_session = max_messages_per_session
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed: asyncio.Event | None = None
        self._counts = {"opened": 0, "reused": 0, "reconnected": 0, "discarded": 0, "expired": 0}
        self._slots = Slots(idle_seconds, self._counts)

    def __repr__(self) -> str:
        stats = self.stats()
        return f"<SmtpPool idle={stats['idle']} busy={stats['busy']} waiting={stats['waiting']}>"

    @property
    def idle_seconds(self) -> float:
        """How long a session may stay idle before it is closed; may be changed at any time."""
        return self._slots.idle_seconds

    @idle_seconds.setter
    def idle_seconds(self, value: float) -> None:
        self._slots.idle_seconds = value

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
        if self._slots.closing:
            raise _pool_closed()
        self._slots.expire(settings)
        bucket = self._slots.bucket(settings)

        pooled = await self._slots.acquire(bucket, limit)
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
        for key in list(self._slots.buckets):
            expired += self._slots.expire(key)
        await self._slots.wait_for_quits()
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
        slots = self._slots
        slots.closing = True
        try:
            await slots.stop_reaper()
            idle = slots.turn_away(_pool_closed)
            await asyncio.gather(*(p.session.quit() for p in idle))
            for pooled in slots.busy():
                pooled.session.abort()
            await slots.wait_for_quits()
        finally:
            slots.forget_empty()
            slots.closed = True
            self._closed.set()

    def stats(self) -> dict[str, int]:
        """Counters since the pool was made, and the sessions now idle, busy, and callers waiting.

        ``opened``: sessions opened; ``reused``: messages sent over an already open session;
        ``reconnected``: messages sent again over a new session after a reused one turned out
        stale; ``discarded``: sessions closed after an error, a ``421`` or their message limit;
        ``expired``: sessions closed after ``idle_seconds``.
        """
        return {**self._counts, **self._slots.occupancy()}

    # -- sending ----------------------------------------------------------------------------

    async def _transact(
        self, pooled: PooledSession, envelope: Envelope, data: bytes, *, reused: bool
    ) -> DeliveryResult:
        pooled.uses += 1
        session = pooled.session
        if reused:
            await session.ready_for_mail()
        return await send(session, envelope, data)

    async def _open(self, bucket: Bucket) -> PooledSession:
        """Open and log in a session in a slot already taken; gives the slot back on failure."""
        session = Session(bucket.key)
        pooled = PooledSession(session)
        bucket.busy.add(pooled)  # so that close() can drop it while it opens
        try:
            if self._slots.closing:
                raise _pool_closed()
            await session.open()
            if self._slots.closing:  # no password once the pool is closing
                raise _pool_closed()
            await log_in(session)
            if self._slots.closing:
                raise _pool_closed()
        except BaseException as error:
            bucket.busy.discard(pooled)
            if isinstance(error, ConnectorError) and not self._slots.closing:
                await session.quit()
            else:
                session.abort()
            self._slots.free_slot(bucket)
            raise
        self._counts["opened"] += 1
        return pooled

    def _settle(
        self, bucket: Bucket, pooled: PooledSession, limit: int, error: BaseException | None
    ) -> None:
        """After a message: back to the pool, or closed (see the module docstring)."""
        bucket.busy.discard(pooled)
        session = pooled.session
        if _broken(error) or not session.is_connected:
            session.abort()
            self._counts["discarded"] += 1
            self._slots.free_slot(bucket)
        elif pooled.uses >= self.max_messages_per_session:
            self._slots.quit(session)
            self._counts["discarded"] += 1
            self._slots.free_slot(bucket)
        else:
            self._slots.release(bucket, pooled, limit)

    def _bind_loop(self) -> None:
        """Serve the running loop; start afresh if the loop that had the sessions is gone."""
        loop = asyncio.get_running_loop()
        if self._loop is loop:
            return
        if self._loop is not None and not self._loop.is_closed() and self._loop.is_running():
            raise RuntimeError("an SmtpPool serves one event loop at a time")
        # The old loop is closed or stopped: its sessions and tasks went with it.
        self._loop = loop
        self._slots.reset()


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
