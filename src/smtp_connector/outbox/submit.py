"""Submitting Send Email bodies to the outbox: validate, commit, and maybe the first attempt."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from anyio import to_thread

from smtp_connector.connections import ConnectionStore
from smtp_connector.errors import ConnectorError, DeliveryError, InvalidInput
from smtp_connector.logs import log_event
from smtp_connector.mail.limits import Limits
from smtp_connector.mail.message import ComposedMessage
from smtp_connector.metrics import METRICS
from smtp_connector.outbox.admission import CallLimiter
from smtp_connector.outbox.delivery import AttemptReport, Deliverer
from smtp_connector.outbox.idempotency import refusal
from smtp_connector.outbox.store import Enqueued, IdempotencyRequest, OutboxStore
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


AcceptedAnswer = Callable[[Accepted], tuple[int, dict[str, Any]]]
"""The HTTP answer to an accepted message, saved with its idempotency key at commit."""
BatchAnswer = Callable[[list["Accepted | ConnectorError"]], tuple[int, dict[str, Any]]]


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
        wait_seconds: float = 10.0,
        max_batch: int = 1000,
        on_enqueue: Callable[[], None] | None = None,
    ) -> None:
        self.connections = connections
        self.store = store
        self.deliverer = deliverer
        self.limits = limits
        self.name = name
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
        answer: AcceptedAnswer | None = None,
        inline: bool = False,
        precheck: bool = True,
    ) -> Submission:
        """Commit one message. Raises ConnectionNotFound, RateLimited, InvalidInput,
        PayloadTooLarge, SenderNotAllowed, IdempotentReplay or IdempotencyMismatch.

        A repeated ``idempotency`` key is answered before anything else is looked at (a
        repeat is never refused by the call limit, nor by a connection edited since). Without
        ``wait`` the message is queued and ``answer`` (its 202) saved with the key at once.
        ``inline``: the payload is small (its JSON under ``api.body.THREAD_PARSE_BYTES``), so
        it is validated and composed on the event loop, which costs less than a thread hop;
        composing is linear in the payload, so that work is bounded. ``precheck=False`` skips
        the read that answers a repeated key before anything else: for callers whose keys are
        almost never repeated (workflow actions), a repeat is then found when the key is
        written, in the same transaction, and raises the same way.
        """
        if precheck:
            await self._check_repeat(idempotency)
        connection = self.connections.cached(connection_name)
        if connection is None:  # not cached here: read it off the event loop
            connection = await to_thread.run_sync(self.connections.get, connection_name)
        self.call_limiter.admit(connection)
        self.connections.smtp_settings(connection)  # a key that cannot decrypt fails now, not later
        if inline:
            message = prepare(connection, payload, self.limits)
        else:
            message = await to_thread.run_sync(prepare, connection, payload, self.limits)
        queued_at = datetime.now(UTC)
        if not wait:

            def accepted(ids: Sequence[str]) -> Accepted:
                return Accepted(ids[0], message.message_id, MessageStatus.QUEUED)

            [outbox_id] = await self.store.enqueue_async(
                connection.name,
                [message],
                idempotency=idempotency,
                answer=(lambda ids: answer(accepted(ids))) if answer else None,
                pace=connection.pace_seconds,
            )
            self._submitted(connection.name, [outbox_id], [message])
            return accepted([outbox_id])
        enqueued = await self.store.enqueue_leased_async(
            message,
            connection.name,
            worker=self.name,
            lease_seconds=self.deliverer.keeper.lease_seconds,
            idempotency=idempotency,
            pace=connection.pace_seconds,
            wait_limit=self.wait_seconds,
        )
        self._submitted(connection.name, [enqueued.id], [message])
        if enqueued.lease is None:  # its rate slot is further away than we would wait
            return Accepted(enqueued.id, message.message_id, MessageStatus.QUEUED)
        return await self._first_attempt(connection.name, enqueued, message, queued_at)

    async def submit_batch(
        self,
        connection_name: str,
        payloads: Sequence[object],
        *,
        idempotency: IdempotencyRequest | None = None,
        answer: BatchAnswer | None = None,
    ) -> list[Accepted | ConnectorError]:
        """Validate each; commit every valid one in one transaction. One entry per payload.

        With ``idempotency`` the key and ``answer``'s answer are committed with the messages.
        """
        await self._check_repeat(idempotency)
        connection = self.connections.cached(connection_name)
        if connection is None:  # not cached here: read it off the event loop
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

        def results(ids: Sequence[str]) -> list[Accepted | ConnectorError]:
            id_iter = iter(ids)
            return [
                Accepted(next(id_iter), m.message_id, MessageStatus.QUEUED)
                if isinstance(m, ComposedMessage)
                else m
                for m in prepared
            ]

        ids: list[str] = []
        if valid:
            ids = await self.store.enqueue_async(
                connection.name,
                valid,
                idempotency=idempotency,
                answer=(lambda ids: answer(results(ids))) if answer else None,
                pace=connection.pace_seconds,
            )
        self._submitted(connection.name, ids, valid)
        return results(ids)

    async def _check_repeat(self, idempotency: IdempotencyRequest | None) -> None:
        """Raise IdempotentReplay or IdempotencyMismatch when the key was used before."""
        if idempotency is None:
            return
        record = await to_thread.run_sync(self.store.find_idempotent, idempotency)
        if record is not None:
            raise refusal(record, idempotency)

    def _submitted(self, connection: str, ids: list[str], messages: list[ComposedMessage]) -> None:
        METRICS.accepted.labels(connection).inc(len(ids))
        log_submitted(connection, ids, messages)
        if ids and self.on_enqueue is not None:
            self.on_enqueue()

    async def _first_attempt(
        self, connection: str, enqueued: Enqueued, message: ComposedMessage, queued_at: datetime
    ) -> Submission:
        """Attempt now (after the rate slot, if any) under this process's lease, renewed by the
        heartbeat like a worker's; answer within ``wait_seconds`` either way."""
        assert enqueued.lease is not None
        claimed = Claimed(
            id=enqueued.id,
            connection=connection,
            message_id=message.message_id,
            envelope=message.envelope,
            data=message.data,
            attempt=1,
            queued_at=queued_at,
            token=enqueued.lease.token,
        )
        task = asyncio.create_task(self._attempt_at_slot(claimed, enqueued.wait_seconds))
        self._attempts.add(task)
        task.add_done_callback(self._attempts.discard)
        try:
            report = await asyncio.wait_for(asyncio.shield(task), self.wait_seconds)
        except TimeoutError:
            return Accepted(enqueued.id, message.message_id, MessageStatus.SENDING)
        if report.result is not None:
            return Sent(enqueued.id, report.result, report.follow_up)
        if report.status is MessageStatus.FAILED and report.error is not None:
            return Failed(enqueued.id, report.error)
        return Accepted(enqueued.id, message.message_id, report.status or MessageStatus.SENDING)

    async def _attempt_at_slot(self, claimed: Claimed, wait_seconds: float) -> AttemptReport:
        keeper = self.deliverer.keeper
        keeper.hold(claimed.lease)  # renewed while it waits for its slot, too
        try:
            if wait_seconds > 0:
                await asyncio.sleep(wait_seconds)
            return await self.deliverer.attempt(claimed)
        finally:
            keeper.drop(claimed.lease)

    async def drain(self) -> None:
        """Let first attempts still running here finish (shutdown)."""
        if self._attempts:
            await asyncio.gather(*self._attempts, return_exceptions=True)


def log_submitted(connection: str, ids: list[str], messages: list[ComposedMessage]) -> None:
    for outbox_id, message in zip(ids, messages, strict=True):
        log_event(
            "send.accepted",
            logging.DEBUG,
            id=outbox_id,
            connection=connection,
            message_id=message.message_id,
            size=len(message.data),
        )
