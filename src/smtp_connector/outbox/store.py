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
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from smtp_connector.errors import Conflict, MessageNotFound
from smtp_connector.mail.message import ComposedMessage
from smtp_connector.outbox import idempotency as keys
from smtp_connector.outbox import queries as q
from smtp_connector.outbox import records
from smtp_connector.outbox.base import utc_now
from smtp_connector.outbox.idempotency import (
    IdempotencyRecord,
    IdempotencyRequest,
    IdempotentReplay,
)
from smtp_connector.outbox.leases import OutboxLeases
from smtp_connector.outbox.reads import OutboxReads, attempts_of
from smtp_connector.outbox.types import MessageStatus, OutboxMessage
from smtp_connector.store.models import MessageRow

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


class OutboxStore(OutboxLeases, OutboxReads):
    """Domain verbs over the outbox tables; see the module docstring."""

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
        due_at: datetime | None = None,
    ) -> list[str]:
        """Commit every message (all or none) and return their ids, in order.

        Each is ``queued`` and due at ``due_at`` (default ``now``); with ``claim_for`` each is
        instead leased to that worker with attempt #1 open (the caller delivers it at once). With
        ``idempotency`` the key is stored in the same transaction; a live key raises
        IdempotentReplay (same request) or IdempotencyMismatch (different request).
        """
        now = utc_now(now)
        for _ in range(_ENQUEUE_TRIES):
            ids = [new_message_id() for _ in messages]
            try:
                with self._db.session() as session:
                    if idempotency is not None:
                        keys.reserve(session, idempotency, ids, now)
                    self._insert(
                        session, connection, messages, ids, claim_for, lease_seconds, now, due_at
                    )
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
        due_at: datetime | None = None,
    ) -> None:
        if not messages:
            return
        rows = records.message_rows(
            connection, messages, ids, claim_for, lease_seconds, now, due_at
        )
        session.execute(q.INSERT_MESSAGES, rows)
        if claim_for is not None:
            opened = [
                {"message": i, "number": 1, "worker": claim_for, "started_at": now} for i in ids
            ]
            session.execute(q.OPEN_ATTEMPTS, opened)

    def note_follow_up(self, id: str, addresses: Sequence[str], follow_up: str) -> None:
        """Mark refused recipients of a sent message as retried in the ``follow_up`` message."""
        with self._db.session() as session:
            row = session.get(MessageRow, id, options=[defer(MessageRow.data)])
            if row is None:
                raise MessageNotFound(id)
            rejected = dict(row.rejected or {})
            for address in addresses:
                rejected[address] = {**rejected.get(address, {}), "retriedAs": follow_up}
            row.rejected = rejected

    def save_idempotent_response(
        self, scope: str, key: str, status_code: int, response: dict[str, Any]
    ) -> None:
        """Store the first answer given for a key, to be replayed to repeats."""
        with self._db.session() as session:
            keys.save_response(session, scope, key, status_code, response)

    def purge_finished(self, older_than: timedelta, now: datetime | None = None) -> int:
        """Delete sent, failed and cancelled messages (and their attempts) last changed more
        than ``older_than`` ago; returns how many messages."""
        cutoff = utc_now(now) - older_than
        final = [s.value for s in MessageStatus if s.is_final]
        with self._db.session() as session:
            result = session.execute(
                delete(MessageRow).where(
                    MessageRow.status.in_(final), MessageRow.updated_at < cutoff
                )
            )
            return int(cast(CursorResult[Any], result).rowcount)

    def purge_idempotency(self, now: datetime | None = None) -> int:
        """Delete expired keys; returns how many."""
        with self._db.session() as session:
            return keys.purge(session, utc_now(now))

    # -- operators ---------------------------------------------------------------------------

    def cancel(self, id: str, now: datetime | None = None) -> OutboxMessage:
        """Queued or retrying → cancelled. Raises MessageNotFound, or Conflict otherwise."""
        return self._transition(id, q.WAITING, MessageStatus.CANCELLED, None, utc_now(now))

    def retry(self, id: str, now: datetime | None = None) -> OutboxMessage:
        """Failed or cancelled → queued, due now: at least one more attempt (the policy's
        limits apply again after it). Raises MessageNotFound, or Conflict otherwise."""
        allowed = (MessageStatus.FAILED.value, MessageStatus.CANCELLED.value)
        now = utc_now(now)
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
            return records.message_from(row, attempts_of(session, id))
