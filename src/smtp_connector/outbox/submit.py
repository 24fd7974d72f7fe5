"""Submitting Send Email bodies to the outbox: validate, commit, and maybe the first attempt."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from anyio import to_thread

from smtp_connector.connections import ConnectionStore
from smtp_connector.errors import ConnectorError, DeliveryError, InvalidInput
from smtp_connector.logs import log_event
from smtp_connector.mail.limits import Limits
from smtp_connector.mail.message import ComposedMessage
from smtp_connector.metrics import METRICS
from smtp_connector.outbox.admission import CallLimiter
from smtp_connector.outbox.delivery import AttemptReport, Deliverer
from smtp_connector.outbox.store import IdempotencyRequest, OutboxStore
from smtp_connector.outbox.types import Claimed, MessageStatus
from smtp_connector.sending import SendResult, prepare


@dataclass(frozen=True)
class Accepted:
    """Committed; a worker (or the attempt still running here) will deliver it: 202."""

    id: str
    message_id: str
    status: MessageStatus


@dataclass(frozen=True)
class Sent:
    """The first attempt succeeded: 200."""

    id: str
    result: SendResult
    follow_up: str | None = None
    """The message retrying the recipients the server refused with a 4xx."""


@dataclass(frozen=True)
class Failed:
    """The first attempt failed for good; ``error`` says why (502 or 400)."""

    id: str
    error: DeliveryError


Submission = Accepted | Sent | Failed


class SendService:
    """The one way in to the outbox, for the HTTP API and (later) workflow actions."""

    def __init__(
        self,
        connections: ConnectionStore,
        store: OutboxStore,
        deliverer: Deliverer,
        limits: Limits,
        *,
        name: str,
        lease_seconds: float = 300.0,
        wait_seconds: float = 10.0,
        max_batch: int = 1000,
        on_enqueue: Callable[[], None] | None = None,
    ) -> None:
        self.connections = connections
        self.store = store
        self.deliverer = deliverer
        self.limits = limits
        self.name = name
        self.lease_seconds = lease_seconds
        self.wait_seconds = wait_seconds
        self.max_batch = max_batch
        self.on_enqueue = on_enqueue
        self.call_limiter = CallLimiter()
        self._attempts: set[asyncio.Task[AttemptReport]] = set()

    async def submit(
        self,
        connection_name: str,
        payload: object,
        *,
        wait: bool,
        idempotency: IdempotencyRequest | None = None,
    ) -> Submission:
        """Commit one message. Raises ConnectionNotFound, RateLimited, InvalidInput,
        PayloadTooLarge, SenderNotAllowed, IdempotentReplay or IdempotencyMismatch."""
        connection = await to_thread.run_sync(self.connections.get, connection_name)
        self.call_limiter.admit(connection)
        self.connections.smtp_settings(connection)  # a key that cannot decrypt fails now, not later
        message = await to_thread.run_sync(prepare, connection, payload, self.limits)
        claim_for = self.name if wait else None
        now = datetime.now(UTC)
        [outbox_id] = await to_thread.run_sync(
            lambda: self.store.enqueue(
                connection.name,
                [message],
                claim_for=claim_for,
                lease_seconds=self.lease_seconds,
                idempotency=idempotency,
                now=now,
            )
        )
        METRICS.accepted.labels(connection.name).inc()
        log_submitted(connection.name, [outbox_id], [message])
        if not wait:
            self._wake_workers()
            return Accepted(outbox_id, message.message_id, MessageStatus.QUEUED)
        return await self._first_attempt(connection.name, outbox_id, message, now)

    async def submit_batch(
        self, connection_name: str, payloads: Sequence[object]
    ) -> list[Accepted | ConnectorError]:
        """Validate each; commit every valid one in one transaction. One entry per payload."""
        connection = await to_thread.run_sync(self.connections.get, connection_name)
        if len(payloads) > self.max_batch:
            raise InvalidInput.field(
                "messages", f"A batch holds at most {self.max_batch} messages, not {len(payloads)}."
            )
        self.call_limiter.admit(connection)

        def prepare_all() -> list[ComposedMessage | ConnectorError]:
            out: list[ComposedMessage | ConnectorError] = []
            for payload in payloads:
                try:
                    out.append(prepare(connection, payload, self.limits))
                except ConnectorError as exc:
                    out.append(exc)
            return out

        prepared = await to_thread.run_sync(prepare_all)
        valid = [m for m in prepared if isinstance(m, ComposedMessage)]
        ids = (
            await to_thread.run_sync(lambda: self.store.enqueue(connection.name, valid))
            if valid
            else []
        )
        METRICS.accepted.labels(connection.name).inc(len(ids))
        log_submitted(connection.name, ids, valid)
        if ids:
            self._wake_workers()
        id_iter = iter(ids)
        return [
            Accepted(next(id_iter), m.message_id, MessageStatus.QUEUED)
            if isinstance(m, ComposedMessage)
            else m
            for m in prepared
        ]

    async def _first_attempt(
        self, connection: str, outbox_id: str, message: ComposedMessage, queued_at: datetime
    ) -> Submission:
        """Attempt now under this process's lease; answer within ``wait_seconds`` either way."""
        claimed = Claimed(
            id=outbox_id,
            connection=connection,
            message_id=message.message_id,
            envelope=message.envelope,
            data=message.data,
            attempt=1,
            queued_at=queued_at,
        )
        task = asyncio.create_task(self.deliverer.attempt(claimed, self.name))
        self._attempts.add(task)
        task.add_done_callback(self._attempts.discard)
        try:
            report = await asyncio.wait_for(asyncio.shield(task), self.wait_seconds)
        except TimeoutError:
            return Accepted(outbox_id, message.message_id, MessageStatus.SENDING)
        if report.result is not None:
            return Sent(outbox_id, report.result, report.follow_up)
        if report.status is MessageStatus.FAILED and report.error is not None:
            return Failed(outbox_id, report.error)
        return Accepted(outbox_id, message.message_id, report.status or MessageStatus.SENDING)

    def _wake_workers(self) -> None:
        if self.on_enqueue is not None:
            self.on_enqueue()

    async def drain(self) -> None:
        """Let first attempts still running here finish (shutdown)."""
        if self._attempts:
            await asyncio.gather(*self._attempts, return_exceptions=True)


def log_submitted(connection: str, ids: list[str], messages: list[ComposedMessage]) -> None:
    for outbox_id, message in zip(ids, messages, strict=True):
        log_event(
            "send.accepted",
            id=outbox_id,
            connection=connection,
            message_id=message.message_id,
            size=len(message.data),
        )
