"""The durable outbox: domain verbs over ``messages`` and ``attempts``, one transaction each.

Synchronous (callers run them in threads). Every timestamp is aware UTC; each verb takes
``now`` so tests control time. ``OutboxStore`` is composed of focused parts: this module holds
what callers and operators do (enqueue, idempotency keys, cancel, retry); workers' verbs (claim,
record_sent, record_failure, release, extend_leases, reserve_slot) live in ``outbox/leases.py``
and reads (get, list, counts) in ``outbox/reads.py``. The SQL lives in ``outbox/queries.py``,
row conversions in ``outbox/records.py``, idempotency keys in ``outbox/idempotency.py``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from anyio import to_thread
from sqlalchemy import CursorResult, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smtp_connector.errors import Conflict, MessageNotFound
from smtp_connector.mail.message import ComposedMessage
from smtp_connector.outbox import idempotency as keys
from smtp_connector.outbox import queries as q
from smtp_connector.outbox import records
from smtp_connector.outbox.idempotency import (
    IdempotencyRecord,
    IdempotencyRequest,
    IdempotentReplay,
)
from smtp_connector.outbox.leases import OutboxLeases, new_token
from smtp_connector.outbox.reads import OutboxReads, attempts_of
from smtp_connector.outbox.types import Lease, MessageStatus, OutboxMessage
from smtp_connector.store.models import MessageRow

__all__ = [
    "Enqueued",
    "IdempotencyRecord",
    "IdempotencyRequest",
    "IdempotentReplay",
    "OutboxStore",
    "new_message_id",
]

_ENQUEUE_TRIES = 3
T = TypeVar("T")


def new_message_id() -> str:
    """``msg_`` and 24 hex digits (96 random bits)."""
    return "msg_" + secrets.token_hex(12)


Insert = Callable[[Session, list[str], datetime], T]
"""Writes a submission's rows in a session, under its new ids, at the database's time."""
Answer = Callable[[Sequence[str]], tuple[int, dict[str, Any]]]
"""Builds the answer to save with an idempotency key, from the new messages' ids."""


@dataclass(frozen=True)
class Enqueued:
    """A message committed for its submitter's own first attempt (``enqueue_leased``)."""

    id: str
    lease: Lease | None
    """Leased to the submitter, who attempts it after ``wait_seconds``; None: left queued for
    the workers, its rate slot being further away than the submitter would wait."""
    wait_seconds: float
    """Until the message's rate slot (0 on a connection without a rate limit)."""


class OutboxStore(OutboxLeases, OutboxReads):
    """Domain verbs over the outbox tables; see the module docstring."""

    # -- submission --------------------------------------------------------------------------

    def enqueue(
        self,
        connection: str,
        messages: Sequence[ComposedMessage],
        *,
        idempotency: IdempotencyRequest | None = None,
        answer: Answer | None = None,
        pace: float | None = None,
        now: datetime | None = None,
    ) -> list[str]:
        """Commit every message (all or none), queued, and return their ids, in order.

        ``pace`` (seconds between deliveries on the connection) plans the messages: each is
        due at its own slot of the connection's rate, after those planned before. With
        ``idempotency`` the key is stored in the same transaction (and ``answer``'s answer
        with it); a live key raises IdempotentReplay (same request) or IdempotencyMismatch
        (different request).
        """
        insert = _queued(connection, messages, pace)
        return self._commit(len(messages), insert, idempotency, answer, now)

    async def enqueue_async(
        self,
        connection: str,
        messages: Sequence[ComposedMessage],
        *,
        idempotency: IdempotencyRequest | None = None,
        answer: Answer | None = None,
        pace: float | None = None,
    ) -> list[str]:
        """``enqueue`` from a coroutine (through the group commit without a thread hop)."""
        insert = _queued(connection, messages, pace)
        return await self._commit_async(len(messages), insert, idempotency, answer)

    def enqueue_leased(
        self,
        message: ComposedMessage,
        connection: str,
        *,
        worker: str,
        lease_seconds: float,
        idempotency: IdempotencyRequest | None = None,
        pace: float | None = None,
        wait_limit: float = 0.0,
        now: datetime | None = None,
    ) -> Enqueued:
        """Commit one message leased to ``worker`` with attempt #1 open, for it to deliver at
        once: the API's own first attempt. With ``pace`` the message gets its rate slot; when
        that is more than ``wait_limit`` seconds away it is left queued for the workers instead.
        Idempotency as in ``enqueue``.
        """
        insert = _leased(message, connection, worker, lease_seconds, pace, wait_limit)
        return self._commit(1, insert, idempotency, None, now)

    async def enqueue_leased_async(
        self,
        message: ComposedMessage,
        connection: str,
        *,
        worker: str,
        lease_seconds: float,
        idempotency: IdempotencyRequest | None = None,
        pace: float | None = None,
        wait_limit: float = 0.0,
    ) -> Enqueued:
        """``enqueue_leased`` from a coroutine (through the group commit)."""
        insert = _leased(message, connection, worker, lease_seconds, pace, wait_limit)
        return await self._commit_async(1, insert, idempotency, None)

    def _commit(
        self,
        count: int,
        insert: Insert[T],
        idempotency: IdempotencyRequest | None,
        answer: Answer | None,
        now: datetime | None,
    ) -> T:
        """One transaction: the idempotency key (if any) and ``insert``'s rows, under ``count``
        new message ids; a concurrent commit of the same key turns into its refusal."""
        for _ in range(_ENQUEUE_TRIES):
            unit = self._unit(count, insert, idempotency, answer, now)
            try:
                return self._write(unit)
            except IntegrityError:
                if idempotency is None:
                    raise
            self._refuse_repeat(idempotency)
        raise Conflict("The Idempotency-Key could not be stored; try again.")

    async def _commit_async(
        self,
        count: int,
        insert: Insert[T],
        idempotency: IdempotencyRequest | None,
        answer: Answer | None,
    ) -> T:
        """``_commit`` from a coroutine."""
        for _ in range(_ENQUEUE_TRIES):
            unit = self._unit(count, insert, idempotency, answer, None)
            try:
                return await self._write_async(unit)
            except IntegrityError:
                if idempotency is None:
                    raise
            await to_thread.run_sync(self._refuse_repeat, idempotency)
        raise Conflict("The Idempotency-Key could not be stored; try again.")

    def _unit(
        self,
        count: int,
        insert: Insert[T],
        idempotency: IdempotencyRequest | None,
        answer: Answer | None,
        now: datetime | None,
    ) -> Callable[[Session], T]:
        """The unit of work of one submission, under ``count`` new message ids (drawn once:
        the unit may be run again after a rollback)."""
        ids = [new_message_id() for _ in range(count)]

        def unit(session: Session) -> T:
            stamp = self._now(session, now)
            if idempotency is not None:
                saved = answer(ids) if answer is not None else None
                keys.reserve(session, idempotency, ids, stamp, saved)
            return insert(session, ids, stamp)

        return unit

    def _refuse_repeat(self, idempotency: IdempotencyRequest) -> None:
        """Another request with the same key committed first: answer as a repeat of it."""
        winner = self.find_idempotent(idempotency)
        if winner is not None:
            raise keys.refusal(winner, idempotency)

    def find_idempotent(
        self, request: IdempotencyRequest, now: datetime | None = None
    ) -> IdempotencyRecord | None:
        """The live record of this key, if any (look it up before doing any work)."""
        with self._reading() as session:
            return keys.find_live(session, request, self._now(session, now))

    def save_idempotent_response(
        self, scope: str, key: str, status_code: int, response: dict[str, Any]
    ) -> None:
        """Store the first answer given for a key, to be replayed to repeats."""
        self._write(lambda session: keys.save_response(session, scope, key, status_code, response))

    async def save_idempotent_response_async(
        self, scope: str, key: str, status_code: int, response: dict[str, Any]
    ) -> None:
        """``save_idempotent_response`` from a coroutine (through the group commit)."""
        await self._write_async(
            lambda session: keys.save_response(session, scope, key, status_code, response)
        )

    def purge_finished(self, older_than: timedelta, now: datetime | None = None) -> int:
        """Delete sent, failed and cancelled messages (and their attempts) last changed more
        than ``older_than`` ago; returns how many messages."""
        final = [s.value for s in MessageStatus if s.is_final]
        with self._db.session() as session:
            cutoff = self._now(session, now) - older_than
            result = session.execute(
                delete(MessageRow).where(
                    MessageRow.status.in_(final), MessageRow.updated_at < cutoff
                )
            )
            return int(cast(CursorResult[Any], result).rowcount)

    def purge_idempotency(self, now: datetime | None = None) -> int:
        """Delete expired keys; returns how many."""
        with self._db.session() as session:
            return keys.purge(session, self._now(session, now))

    # -- operators ---------------------------------------------------------------------------

    def cancel(self, id: str, now: datetime | None = None) -> OutboxMessage:
        """Queued or retrying → cancelled. Raises MessageNotFound, or Conflict otherwise."""
        return self._transition(id, q.WAITING, MessageStatus.CANCELLED, now)

    def retry(self, id: str, now: datetime | None = None) -> OutboxMessage:
        """Failed or cancelled → queued, due now: at least one more attempt (the policy's
        limits apply again after it). Raises MessageNotFound, or Conflict otherwise."""
        allowed = (MessageStatus.FAILED.value, MessageStatus.CANCELLED.value)
        return self._transition(id, allowed, MessageStatus.QUEUED, now)

    def _transition(
        self, id: str, allowed: Sequence[str], target: MessageStatus, now: datetime | None
    ) -> OutboxMessage:
        with self._db.session() as session:
            now = self._now(session, now)
            row = session.scalar(select(MessageRow).where(MessageRow.id == id).with_for_update())
            if row is None:
                raise MessageNotFound(id)
            if row.status not in allowed:
                verb = "cancelled" if target is MessageStatus.CANCELLED else "retried"
                raise Conflict(
                    f"The message {id!r} is {row.status}; only a message that is "
                    f"{' or '.join(allowed)} can be {verb}."
                )
            row.status = target.value
            row.next_attempt_at = None if target.is_final else now
            row.updated_at = now
            session.flush()
            return records.message_from(row, attempts_of(session, id))


def _queued(
    connection: str, messages: Sequence[ComposedMessage], pace: float | None
) -> Insert[list[str]]:
    """Inserts ``messages`` queued, each due at its rate slot (now without a rate limit)."""

    def insert(session: Session, ids: list[str], now: datetime) -> list[str]:
        if not messages:
            return ids
        due = _slots(session, connection, pace, len(messages), now)
        rows = records.message_rows(connection, messages, ids, now, due=due)
        q.insert_messages(session, rows)
        return ids

    return insert


def _leased(
    message: ComposedMessage,
    connection: str,
    worker: str,
    lease_seconds: float,
    pace: float | None,
    wait_limit: float,
) -> Insert[Enqueued]:
    """Inserts ``message`` leased to ``worker`` with attempt #1 open, unless its rate slot is
    more than ``wait_limit`` seconds away (then queued)."""

    def insert(session: Session, ids: list[str], now: datetime) -> Enqueued:
        [due] = _slots(session, connection, pace, 1, now)
        wait = max(0.0, (due - now).total_seconds())
        [row] = records.message_rows(connection, [message], ids, now, due=[due])
        lease = None
        if wait <= wait_limit:
            token = new_token()
            expires = now + timedelta(seconds=lease_seconds)
            row = records.leased(row, worker, token, expires)
            lease = Lease(ids[0], token, 1)
        q.insert_messages(session, [row])
        if lease is not None:
            opened = {"message": ids[0], "number": 1, "worker": worker, "started_at": now}
            session.connection().execute(q.OPEN_ATTEMPTS, [opened])
        return Enqueued(ids[0], lease, wait)

    return insert


def _slots(
    session: Session, connection: str, pace: float | None, count: int, now: datetime
) -> list[datetime]:
    """When each of ``count`` new messages is due: its planned slot on a paced connection,
    else now."""
    if pace is None:
        return [now] * count
    return q.reserve_slots(session, connection, timedelta(seconds=pace), count, now)
