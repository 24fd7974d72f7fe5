"""One delivery attempt of a claimed message: connection, rate slot, SMTP, and its record."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from anyio import to_thread

from smtp_connector.connections import Connection, ConnectionStore
from smtp_connector.errors import ConfigurationError, DeliveryError, HostNotAllowed
from smtp_connector.logs import log_event
from smtp_connector.mail.message import ComposedMessage
from smtp_connector.mail.replies import SmtpReply
from smtp_connector.metrics import METRICS
from smtp_connector.outbox.store import OutboxStore
from smtp_connector.outbox.types import Claimed, MessageStatus, RetryPolicy
from smtp_connector.sending import SendResult
from smtp_connector.smtp.pool import SmtpPool

DEFAULT_POLICY = RetryPolicy()


@dataclass(frozen=True)
class AttemptReport:
    """How an attempt ended: the new status (None if the lease was lost), and result or error."""

    status: MessageStatus | None
    result: SendResult | None = None
    error: DeliveryError | None = None
    follow_up: str | None = None
    """The message that retries the recipients refused with a 4xx, if any."""


def _undeliverable(message: str, code: str, *, retryable: bool) -> DeliveryError:
    error = DeliveryError(message)
    error.code = code
    error.retryable = retryable
    return error


class Deliverer:
    """Runs attempts for workers and for the API's own first attempt."""

    def __init__(self, store: OutboxStore, connections: ConnectionStore, pool: SmtpPool) -> None:
        self.store = store
        self.connections = connections
        self.pool = pool

    async def attempt(self, claimed: Claimed, worker: str) -> AttemptReport:
        connection = await to_thread.run_sync(self.connections.find, claimed.connection)
        if connection is None:
            gone = _undeliverable(
                f"The connection {claimed.connection!r} no longer exists.",
                "connection_not_found",
                retryable=False,
            )
            return await self._failed(claimed, worker, gone, DEFAULT_POLICY)
        policy = connection.retry_policy or DEFAULT_POLICY
        try:
            settings = self.connections.smtp_settings(connection)
        except (ConfigurationError, HostNotAllowed) as exc:
            # A lost key may come back; a host taken off the allow-list is an operator's choice.
            retryable = isinstance(exc, ConfigurationError)
            broken = _undeliverable(exc.message, exc.code, retryable=retryable)
            return await self._failed(claimed, worker, broken, policy)
        await self._wait_for_slot(connection)
        try:
            delivered = await self.pool.deliver(
                settings, claimed.envelope, claimed.data, max_sessions=connection.max_sessions
            )
        except DeliveryError as exc:
            return await self._failed(claimed, worker, exc, policy)
        result = SendResult(
            claimed.message_id, delivered.accepted, delivered.rejected, delivered.response
        )
        owned = await to_thread.run_sync(
            lambda: self.store.record_sent(
                claimed.id,
                worker,
                accepted=delivered.accepted,
                rejected=delivered.rejected,
                response=delivered.response,
            )
        )
        follow_up = None
        if owned:
            follow_up = await self._retry_refused_recipients(claimed, delivered.rejected, policy)
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
            lease_lost=not owned,
        )
        status = MessageStatus.SENT if owned else None
        return AttemptReport(status, result=result, follow_up=follow_up)

    async def _retry_refused_recipients(
        self, claimed: Claimed, rejected: Mapping[str, SmtpReply], policy: RetryPolicy
    ) -> str | None:
        """Recipients refused with a 4xx (greylisting, full mailbox) get a follow-up message:
        the same bytes and Message-ID, for them alone, due after the policy's first delay."""
        transient = [address for address, reply in rejected.items() if reply.is_transient]
        if not transient:
            return None
        follow_up = ComposedMessage(
            data=claimed.data,
            envelope=replace(claimed.envelope, rcpt_to=tuple(transient)),
            message_id=claimed.message_id,
        )
        due = datetime.now(UTC) + timedelta(seconds=policy.delay_for(1))

        def enqueue() -> str:
            [follow_up_id] = self.store.enqueue(claimed.connection, [follow_up], due_at=due)
            self.store.note_follow_up(claimed.id, transient, follow_up_id)
            return follow_up_id

        follow_up_id = await to_thread.run_sync(enqueue)
        log_event(
            "delivery.follow_up",
            id=claimed.id,
            follow_up=follow_up_id,
            connection=claimed.connection,
            recipients=len(transient),
        )
        return follow_up_id

    async def _wait_for_slot(self, connection: Connection) -> None:
        """Honour the connection's delivery rate before sending (shared by all processes)."""
        if connection.rate_limit is None:
            return
        interval = connection.rate_limit.interval_seconds
        slot = await to_thread.run_sync(self.store.reserve_slot, connection.name, interval)
        delay = (slot - datetime.now(UTC)).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)

    async def _failed(
        self, claimed: Claimed, worker: str, error: DeliveryError, policy: RetryPolicy
    ) -> AttemptReport:
        status = await to_thread.run_sync(
            lambda: self.store.record_failure(claimed.id, worker, error=error, policy=policy)
        )
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
        return AttemptReport(status, error=error)
