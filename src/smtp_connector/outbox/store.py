"""The durable outbox: domain verbs over ``messages`` and ``attempts``, one transaction each.

Synchronous (callers run them in threads). Workers, possibly in many processes on many
machines sharing PostgreSQL, take messages with ``claim`` (a lease) and report with
``record_sent``/``record_failure``; those two are fenced: a worker whose lease was taken over
changes nothing. Every timestamp is aware UTC; each verb takes ``now`` so tests control time.
The SQL lives in ``outbox/queries.py``, row conversions in ``outbox/records.py``, idempotency
keys in ``outbox/idempotency.py``.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from smtp_connector.errors import Conflict, DeliveryError, MessageNotFound
from smtp_connector.mail.message import ComposedMessage
from smtp_connector.mail.replies import SmtpReply
from smtp_connector.outbox import idempotency as keys
from smtp_connector.outbox import queries as q
from smtp_connector.outbox import records
from smtp_connector.outbox.idempotency import (
    IdempotencyRecord,
    IdempotencyRequest,
    IdempotentReplay,
)
from smtp_connector.outbox.types import (
    AttemptOutcome,
    Claimed,
    MessageStatus,
    OutboxMessage,
    RetryPolicy,
)
from smtp_connector.store.db import Database
from smtp_connector.store.models import AttemptRow, MessageRow, as_utc

__all__ = [
    "IdempotencyRecord",
    "IdempotencyRequest",
    "IdempotentReplay",
    "OutboxStore",
    "new_message_id",
]

_ENQUEUE_TRIES = 3


def new_message_id() -> str:
    """``msg_`` and 24 hex digits (96 random bits)."""
    return "msg_" + secrets.token_hex(12)


def _now(now: datetime | None) -> datetime:
    return datetime.now(UTC) if now is None else as_utc(now)


class OutboxStore:
    """Domain verbs over the outbox tables; see the module docstring."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        """A read-only transaction: on SQLite it does not take the write lock."""
        with self._db.session() as session:
            session.connection(execution_options={"sqlite_begin": "DEFERRED"})
            yield session

    # -- submission --------------------------------------------------------------------------

    def enqueue(
        self,
        connection: str,
        messages: Sequence[ComposedMessage],
        *,
        claim_for: str | None = None,
        lease_seconds: float = 60.0,
        idempotency: IdempotencyRequest | None = None,
        now: datetime | None = None,
    ) -> list[str]:
        """Commit every message (all or none) and return their ids, in order.

        Each is ``queued`` and due at ``now``; with ``claim_for`` each is instead leased to
        that worker with attempt #1 open (the caller delivers it at once). With
        ``idempotency`` the key is stored in the same transaction; a live key raises
        IdempotentReplay (same request) or IdempotencyMismatch (different request).
        """
        now = _now(now)
        for _ in range(_ENQUEUE_TRIES):
            ids = [new_message_id() for _ in messages]
            try:
                with self._db.session() as session:
                    if idempotency is not None:
                        keys.reserve(session, idempotency, ids, now)
                    self._insert(session, connection, messages, ids, claim_for, lease_seconds, now)
                return ids
            except IntegrityError:
                if idempotency is None:
                    raise
            # Another request with the same key committed first: answer as a repeat of it.
            with self._reading() as session:
                winner = keys.find_live(session, idempotency, now)
            if winner is not None:
                raise keys.refusal(winner, idempotency)
        raise Conflict("The Idempotency-Key could not be stored; try again.")

    @staticmethod
    def _insert(
        session: Session,
        connection: str,
        messages: Sequence[ComposedMessage],
        ids: Sequence[str],
        claim_for: str | None,
        lease_seconds: float,
        now: datetime,
    ) -> None:
        if not messages:
            return
        rows = records.message_rows(connection, messages, ids, claim_for, lease_seconds, now)
        session.execute(q.INSERT_MESSAGES, rows)
        if claim_for is not None:
            opened = [
                {"message": i, "number": 1, "worker": claim_for, "started_at": now} for i in ids
            ]
            session.execute(q.OPEN_ATTEMPTS, opened)

    def save_idempotent_response(
        self, scope: str, key: str, status_code: int, response: dict[str, Any]
    ) -> None:
        """Store the first answer given for a key, to be replayed to repeats."""
        with self._db.session() as session:
            keys.save_response(session, scope, key, status_code, response)

    def purge_idempotency(self, now: datetime | None = None) -> int:
        """Delete expired keys; returns how many."""
        with self._db.session() as session:
            return keys.purge(session, _now(now))

    # -- workers -----------------------------------------------------------------------------

    def claim(
        self, worker: str, limit: int, lease_seconds: float, now: datetime | None = None
    ) -> list[Claimed]:
        """Lease up to ``limit`` due messages to ``worker``, oldest due first.

        Due: queued or retrying with ``next_attempt_at <= now``, or sending with an expired
        lease (its worker died: that stale attempt is closed as ``unknown``). Each claimed
        message gets ``attempt_count + 1`` and an open attempt row with that number.
        """
        if limit <= 0:
            return []
        now = _now(now)
        expires = now + timedelta(seconds=lease_seconds)
        params = {"b_worker": worker, "b_limit": limit, "b_now": now, "b_expires": expires}
        with self._db.session() as session:
            # Expired leases first: with a standing backlog they would otherwise wait forever.
            rows = list(session.execute(q.CLAIM_EXPIRED, params).all())
            if rows:
                stale = [r.id for r in rows]
                session.execute(q.CLOSE_STALE_ATTEMPTS, {"b_ids": stale, "b_now": now})
            if len(rows) < limit:
                params["b_limit"] = limit - len(rows)
                rows.extend(session.execute(q.CLAIM_DUE, params).all())
            if not rows:
                return []
            opened = [
                {"message": r.id, "number": r.attempt_count, "worker": worker, "started_at": now}
                for r in rows
            ]
            session.execute(q.OPEN_ATTEMPTS, opened)
        ordered = sorted(rows, key=lambda r: (r.next_attempt_at or now, r.id))
        return [records.claimed_from(r) for r in ordered]

    def extend_leases(
        self,
        worker: str,
        lease_seconds: float,
        ids: Iterable[str] | None = None,
        now: datetime | None = None,
    ) -> int:
        """Push back the lease expiry of ``worker``'s messages (all, or ``ids``); returns how
        many it still holds."""
        params: dict[str, Any] = {
            "b_worker": worker,
            "b_expires": _now(now) + timedelta(seconds=lease_seconds),
        }
        statement = q.EXTEND_LEASES
        if ids is not None:
            statement, params["b_ids"] = q.EXTEND_LISTED_LEASES, list(ids)
        with self._db.session() as session:
            return len(session.execute(statement, params).all())

    def record_sent(
        self,
        id: str,
        worker: str,
        *,
        accepted: Iterable[str],
        rejected: Mapping[str, SmtpReply],
        response: SmtpReply,
        now: datetime | None = None,
    ) -> bool:
        """Mark the message sent. False (and no change) when ``worker`` no longer holds it."""
        now = _now(now)
        with self._db.session() as session:
            number = session.execute(
                q.RECORD_SENT,
                {
                    "b_id": id,
                    "b_worker": worker,
                    "b_now": now,
                    "b_accepted": list(accepted),
                    "b_rejected": records.rejected_json(rejected),
                    "b_response": str(response),
                },
            ).scalar()
            if number is None:
                return False
            closing = records.closed_attempt(AttemptOutcome.SENT, response)
            session.execute(
                q.CLOSE_ATTEMPT, {"b_id": id, "b_number": number, "b_now": now} | closing
            )
            return True

    def record_failure(
        self,
        id: str,
        worker: str,
        *,
        error: DeliveryError,
        policy: RetryPolicy,
        now: datetime | None = None,
        rng: random.Random | None = None,
    ) -> MessageStatus | None:
        """Record a failed attempt, then retry per ``policy`` or fail. Returns the new status,
        or None (and no change) when ``worker`` no longer holds the message.

        ``error.outcome_unknown`` (the server may have the message) marks the message, for
        good, as possibly delivered more than once.
        """
        now = _now(now)
        with self._db.session() as session:
            row = session.execute(q.LOCK_HELD, {"b_id": id, "b_worker": worker}).first()
            if row is None:
                return None
            decision = policy.decide(
                attempt=row.attempt_count,
                retryable=error.retryable,
                queued_at=row.created_at,
                now=now,
                rng=rng,
            )
            status = MessageStatus.RETRYING if decision.retry else MessageStatus.FAILED
            retry_at = now + timedelta(seconds=decision.delay_seconds) if decision.retry else None
            session.execute(
                q.RECORD_FAILURE,
                {
                    "b_id": id,
                    "b_status": status.value,
                    "b_next": retry_at,
                    "b_now": now,
                    "b_error": records.error_json(error, decision.reason),
                    "b_unknown": bool(row.outcome_unknown) or error.outcome_unknown,
                },
            )
            closing = records.failed_attempt(error)
            params = {"b_id": id, "b_number": row.attempt_count, "b_now": now} | closing
            session.execute(q.CLOSE_ATTEMPT, params)
            return status

    def release(
        self, worker: str, ids: Iterable[str] | None = None, now: datetime | None = None
    ) -> int:
        """Give back ``worker``'s leased messages (all, or ``ids``) that it did not start.

        Each becomes due at ``now`` again (queued if it never had an attempt, else retrying);
        its open attempt is deleted and ``attempt_count`` goes back down. Returns how many.
        """
        params: dict[str, Any] = {"b_worker": worker, "b_now": _now(now)}
        statement = q.RELEASE
        if ids is not None:
            statement, params["b_ids"] = q.RELEASE_LISTED, list(ids)
            if not params["b_ids"]:
                return 0
        with self._db.session() as session:
            released = session.execute(statement, params).scalars().all()
            if released:
                session.execute(q.DELETE_OPEN_ATTEMPTS, {"b_ids": list(released)})
            return len(released)

    def reserve_slot(
        self, connection: str, interval_seconds: float, now: datetime | None = None
    ) -> datetime:
        """Reserve the next delivery slot of ``connection`` (GCRA, burst 1, all processes).

        Atomically ``next_at = max(next_at, now) + interval``; returns the reserved slot's
        start, ``max(old next_at, now)``: the caller waits until then before sending.
        """
        interval = timedelta(seconds=interval_seconds)
        with self._db.session() as session:
            return q.reserve_slot(session, connection, interval, _now(now))

    # -- operators ---------------------------------------------------------------------------

    def cancel(self, id: str, now: datetime | None = None) -> OutboxMessage:
        """Queued or retrying → cancelled. Raises MessageNotFound, or Conflict otherwise."""
        return self._transition(id, q.WAITING, MessageStatus.CANCELLED, None, _now(now))

    def retry(self, id: str, now: datetime | None = None) -> OutboxMessage:
        """Failed or cancelled → queued, due now: at least one more attempt (the policy's
        limits apply again after it). Raises MessageNotFound, or Conflict otherwise."""
        allowed = (MessageStatus.FAILED.value, MessageStatus.CANCELLED.value)
        now = _now(now)
        return self._transition(id, allowed, MessageStatus.QUEUED, now, now)

    def _transition(
        self,
        id: str,
        allowed: Sequence[str],
        target: MessageStatus,
        next_attempt_at: datetime | None,
        now: datetime,
    ) -> OutboxMessage:
        with self._db.session() as session:
            row = session.scalar(
                select(MessageRow)
                .options(defer(MessageRow.data))
                .where(MessageRow.id == id)
                .with_for_update()
            )
            if row is None:
                raise MessageNotFound(id)
            if row.status not in allowed:
                verb = "cancelled" if target is MessageStatus.CANCELLED else "retried"
                raise Conflict(
                    f"The message {id!r} is {row.status}; only a message that is "
                    f"{' or '.join(allowed)} can be {verb}."
                )
            row.status = target.value
            row.next_attempt_at = next_attempt_at
            row.updated_at = now
            session.flush()
            return records.message_from(row, self._attempts(session, id))

    # -- reading -----------------------------------------------------------------------------

    @staticmethod
    def _attempts(session: Session, id: str) -> Sequence[AttemptRow]:
        return session.scalars(
            select(AttemptRow).where(AttemptRow.message == id).order_by(AttemptRow.number)
        ).all()

    def get(self, id: str) -> OutboxMessage:
        """The message with its attempts, oldest first. Raises MessageNotFound."""
        with self._reading() as session:
            row = session.scalar(
                select(MessageRow).options(defer(MessageRow.data)).where(MessageRow.id == id)
            )
            if row is None:
                raise MessageNotFound(id)
            return records.message_from(row, self._attempts(session, id))

    def list(
        self,
        *,
        status: MessageStatus | None = None,
        connection: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[list[OutboxMessage], str | None]:
        """Newest first, without attempts; ``since`` inclusive, ``until`` exclusive (created).

        Returns a page and the cursor of the next page (None on the last page). Raises
        InvalidInput for a cursor this method did not return.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        query = select(MessageRow).options(defer(MessageRow.data))
        if status is not None:
            query = query.where(MessageRow.status == MessageStatus(status).value)
        if connection is not None:
            query = query.where(MessageRow.connection == connection)
        if since is not None:
            query = query.where(MessageRow.created_at >= as_utc(since))
        if until is not None:
            query = query.where(MessageRow.created_at < as_utc(until))
        if cursor:
            created_at, after_id = records.decode_cursor(cursor)
            query = query.where(
                or_(
                    MessageRow.created_at < created_at,
                    and_(MessageRow.created_at == created_at, MessageRow.id < after_id),
                )
            )
        query = query.order_by(MessageRow.created_at.desc(), MessageRow.id.desc())
        with self._reading() as session:
            rows = session.scalars(query.limit(limit + 1)).all()
            page = [records.message_from(row) for row in rows[:limit]]
        last = page[-1] if len(rows) > limit else None
        return page, (records.encode_cursor(last.created_at, last.id) if last else None)

    def counts(self) -> dict[MessageStatus, int]:
        """How many messages are in each status (every status present, zeros included)."""
        with self._reading() as session:
            found = session.execute(
                select(MessageRow.status, func.count()).group_by(MessageRow.status)
            ).all()
        totals = dict.fromkeys(MessageStatus, 0)
        for status, count in found:
            totals[MessageStatus(status)] = int(count)
        return totals
