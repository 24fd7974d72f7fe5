"""One delivery attempt of a claimed message: connection, rate gate, SMTP, and its record.

An attempt always ends in a record, whatever goes wrong: an error that is not a delivery error
(a bug, an unexpected library error) is a failed attempt like any other, and the retry policy
decides what follows, so no message stays ``sending``. Records are fenced on the claim's lease
and written again through database errors while the lease can still be held.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TypeVar

from anyio import to_thread

from smtp_connector.connections import Connection, ConnectionStore
from smtp_connector.errors import (
    ConfigurationError,
    DeliveryError,
    HostNotAllowed,
    InvalidInput,
)
from smtp_connector.logs import log_event, logger
from smtp_connector.mail.message import ComposedMessage
from smtp_connector.mail.replies import SmtpReply
from smtp_connector.metrics import METRICS
from smtp_connector.outbox.faults import WriteAbandoned, describe, persist
from smtp_connector.outbox.heartbeat import LeaseKeeper
from smtp_connector.outbox.store import OutboxStore, new_message_id
from smtp_connector.outbox.types import (
    Claimed,
    FollowUp,
    Lease,
    LeaseLost,
    MessageStatus,
    RetryPolicy,
)
from smtp_connector.sending import SendResult
from smtp_connector.smtp.pool import SmtpPool
from smtp_connector.smtp.types import DeliveryResult, SmtpSettings

DEFAULT_POLICY = RetryPolicy()
GATE_MAX_WAIT_SECONDS = 1.0
"""A rate-limited message waits at most this long for its turn inside an attempt; a later
turn gives the claim back, due then, so a paced backlog never fills the workers."""
T = TypeVar("T")


@dataclass(frozen=True)
class AttemptReport:
    """How an attempt ended: the new status (None if the lease was lost or the outcome could
    not be recorded), and the result or the error."""

    status: MessageStatus | None
    result: SendResult | None = None
    error: DeliveryError | None = None
    follow_up: str | None = None
    """The message that retries the recipients refused with a 4xx, if any."""
    started: bool = False
    """The SMTP conversation for this attempt began (the server may have the message)."""
    recorded: bool = True
    """The outcome is in the outbox (or the lease was lost, so it is not ours to record)."""
    due_at: datetime | None = None
    """When a message given back to wait for its connection's rate gate is due."""


def undeliverable(
    message: str, code: str, *, retryable: bool, unknown: bool = False
) -> DeliveryError:
    """A DeliveryError made here rather than by the SMTP client."""
    error = DeliveryError(message)
    error.code = code
    error.retryable = retryable
    error.outcome_unknown = unknown
    return error


class Deliverer:
    """Runs attempts for workers and for the API's own first attempt."""

    def __init__(
        self,
        store: OutboxStore,
        connections: ConnectionStore,
        pool: SmtpPool,
        keeper: LeaseKeeper,
    ) -> None:
        self.store = store
        self.connections = connections
        self.pool = pool
        self.keeper = keeper

    async def attempt(self, claimed: Claimed) -> AttemptReport:
        """Deliver ``claimed`` and record the outcome; never raises (but CancelledError)."""
        self.keeper.hold(claimed.lease)
        try:
            return await self._attempt(claimed)
        finally:
            self.keeper.drop(claimed.lease)

    async def _attempt(self, claimed: Claimed) -> AttemptReport:
        policy = DEFAULT_POLICY
        started = False
        try:
            connection = self.connections.cached(claimed.connection)
            if connection is None:  # not cached here: read it off the event loop
                connection = await to_thread.run_sync(self.connections.find, claimed.connection)
            if connection is None:
                gone = undeliverable(
                    f"The connection {claimed.connection!r} no longer exists.",
                    "connection_not_found",
                    retryable=False,
                )
                return await self._failed(claimed, gone, policy)
            policy = connection.retry_policy or DEFAULT_POLICY
            exhausted = _exhausted(claimed, policy)
            if exhausted is not None:
                return await self._failed(claimed, exhausted, policy)
            settings = self._settings(connection)
            if isinstance(settings, DeliveryError):
                return await self._failed(claimed, settings, policy)
            if connection.pace_seconds is not None:
                gate = await to_thread.run_sync(
                    self.store.pass_gate,
                    claimed.lease,
                    connection.name,
                    connection.pace_seconds,
                    GATE_MAX_WAIT_SECONDS,
                )
                if gate.deferred_to is not None:
                    return _deferred(claimed, gate.deferred_to)
                await asyncio.sleep(gate.wait_seconds)
            if self.keeper.lost(claimed.lease):
                raise LeaseLost(claimed.lease)
            started = True
            delivered = await self.pool.deliver(
                settings, claimed.envelope, claimed.data, max_sessions=connection.max_sessions
            )
        except DeliveryError as exc:
            return await self._failed(claimed, exc, policy, started=started)
        except InvalidInput as exc:  # what the server could never take (a non-ASCII name)
            bad = undeliverable(exc.message, exc.code, retryable=False)
            return await self._failed(claimed, bad, policy, started=started)
        except LeaseLost:
            log_event("delivery.lease_lost", logging.WARNING, id=claimed.id, sent=False)
            return AttemptReport(None, started=False)
        except Exception as exc:  # a bug or an unexpected error: a failed attempt all the same
            log_event("delivery.crashed", logging.ERROR, id=claimed.id, error=describe(exc))
            logger.debug("delivery.crashed traceback", exc_info=exc)
            crashed = undeliverable(
                "The attempt stopped on an unexpected error.",
                "internal_error",
                retryable=True,
                unknown=started,
            )
            return await self._failed(claimed, crashed, policy, started=started)
        return await self._sent(claimed, delivered, policy)

    def _settings(self, connection: Connection) -> SmtpSettings | DeliveryError:
        try:
            return self.connections.smtp_settings(connection)
        except (ConfigurationError, HostNotAllowed) as exc:
            # A lost key may come back; a host taken off the allow-list is an operator's choice.
            retryable = isinstance(exc, ConfigurationError)
            return undeliverable(exc.message, exc.code, retryable=retryable)

    async def _sent(
        self, claimed: Claimed, delivered: DeliveryResult, policy: RetryPolicy
    ) -> AttemptReport:
        follow_up = _follow_up(claimed, delivered.rejected, policy)
        owned: bool | None
        try:
            owned = await self._write(
                claimed.lease,
                lambda: self.store.record_sent_async(
                    claimed.lease,
                    accepted=delivered.accepted,
                    rejected=delivered.rejected,
                    response=delivered.response,
                    follow_up=follow_up,
                ),
            )
        except WriteAbandoned:
            owned = None  # not recorded: the lease runs out, the next holder says "unknown"
        result = SendResult(
            claimed.message_id, delivered.accepted, delivered.rejected, delivered.response
        )
        latency = (datetime.now(UTC) - claimed.queued_at).total_seconds()
        METRICS.sent(claimed.connection, latency)
        log_event(
            "delivery.sent",
            id=claimed.id,
            message_id=claimed.message_id,
            connection=claimed.connection,
            attempt=claimed.attempt,
            accepted=len(delivered.accepted),
            rejected=len(delivered.rejected),
            lease_lost=owned is False,
            recorded=owned is not None,
        )
        if not owned:
            return AttemptReport(None, result=result, started=True, recorded=owned is not None)
        if follow_up is not None:
            log_event(
                "delivery.follow_up",
                id=claimed.id,
                follow_up=follow_up.id,
                connection=claimed.connection,
                recipients=len(follow_up.message.envelope.rcpt_to),
            )
        return AttemptReport(
            MessageStatus.SENT,
            result=result,
            follow_up=follow_up.id if follow_up else None,
            started=True,
        )

    async def _failed(
        self,
        claimed: Claimed,
        error: DeliveryError,
        policy: RetryPolicy,
        *,
        started: bool = False,
    ) -> AttemptReport:
        recorded = True
        status: MessageStatus | None = None
        try:
            status = await self._write(
                claimed.lease,
                lambda: self.store.record_failure_async(claimed.lease, error=error, policy=policy),
            )
        except WriteAbandoned:
            recorded = False
        METRICS.failed_attempt(claimed.connection, status)
        log_event(
            "delivery.retry" if status is MessageStatus.RETRYING else "delivery.failed",
            logging.WARNING,
            id=claimed.id,
            message_id=claimed.message_id,
            connection=claimed.connection,
            attempt=claimed.attempt,
            code=error.code,
            retryable=error.retryable,
            outcome_unknown=error.outcome_unknown,
            status=status,
        )
        return AttemptReport(status, error=error, started=started, recorded=recorded)

    async def _write(self, lease: Lease, write: Callable[[], Awaitable[T]]) -> T:
        """A fenced outbox write, written again through database errors while the lease may
        still be held. Raises WriteAbandoned."""
        return await persist(
            write,
            for_seconds=self.keeper.lease_seconds,
            pointless=lambda: self.keeper.lost(lease),
            id=lease.id,
            attempt=lease.attempt,
        )


def _exhausted(claimed: Claimed, policy: RetryPolicy) -> DeliveryError | None:
    """A message taken over from holders that never finished (a crash loop) stops once the
    policy's attempts are spent, without another try."""
    if not claimed.reclaimed or claimed.attempt <= policy.max_attempts:
        return None
    return undeliverable(
        f"Gave up: {claimed.attempt - 1} attempts did not finish (the process making them "
        "stopped each time).",
        "attempts_exhausted",
        retryable=False,
        unknown=True,
    )


def _deferred(claimed: Claimed, due_at: datetime) -> AttemptReport:
    log_event("delivery.deferred", id=claimed.id, connection=claimed.connection, due_at=due_at)
    status = MessageStatus.QUEUED if claimed.attempt <= 1 else MessageStatus.RETRYING
    return AttemptReport(status, due_at=due_at)


def _follow_up(
    claimed: Claimed, rejected: Mapping[str, SmtpReply], policy: RetryPolicy
) -> FollowUp | None:
    """Recipients refused with a 4xx (greylisting, full mailbox) get a follow-up message:
    the same bytes and Message-ID, for them alone, due after the policy's first delay."""
    transient = tuple(address for address, reply in rejected.items() if reply.is_transient)
    if not transient:
        return None
    message = ComposedMessage(
        data=claimed.data,
        envelope=replace(claimed.envelope, rcpt_to=transient),
        message_id=claimed.message_id,
    )
    return FollowUp(new_message_id(), claimed.connection, message, policy.delay_for(1))
