"""The SQL behind ``OutboxStore``'s hot paths, built once with named parameters.

Workers run these statements for every message, so they are Core statements built at import
(SQLAlchemy caches their compiled form) and executed with a dict of ``b_*`` parameters; that
is several times cheaper per call than building ORM statements each time.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Table,
    Update,
    and_,
    bindparam,
    case,
    insert,
    select,
    text,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from smtp_connector.outbox.types import AttemptOutcome, MessageStatus
from smtp_connector.store.models import (
    WAITING_PREDICATE,
    AttemptRow,
    MessageBodyRow,
    MessageRow,
    RateLimitRow,
)

MESSAGES = cast(Table, MessageRow.__table__)
ATTEMPTS = cast(Table, AttemptRow.__table__)
BODIES = cast(Table, MessageBodyRow.__table__)
_m = MESSAGES.c
_b = BODIES.c
_a = ATTEMPTS.c

QUEUED = MessageStatus.QUEUED.value
SENDING = MessageStatus.SENDING.value
RETRYING = MessageStatus.RETRYING.value
WAITING = (QUEUED, RETRYING)
"""Statuses of messages that wait for their ``next_attempt_at``."""


def _held() -> ColumnElement[bool]:
    """The fence: message ``:b_id`` is still being sent under the claim ``:b_token``."""
    return and_(
        _m.id == bindparam("b_id"), _m.status == SENDING, _m.lease_token == bindparam("b_token")
    )


_LISTED_LEASES = and_(
    _m.status == SENDING,
    tuple_(_m.id, _m.lease_token).in_(bindparam("b_leases", expanding=True)),
)
"""The messages still held under any of the claims ``:b_leases`` (``(id, token)`` pairs)."""


INSERT_MESSAGES = insert(MESSAGES)
"""executemany with one dict of column values per message (use ``insert_messages``)."""

INSERT_BODIES = insert(BODIES)
"""executemany with ``message_id`` and ``data``."""

BODIES_OF = select(_b.message_id, _b.data).where(
    _b.message_id.in_(bindparam("b_ids", expanding=True))
)
"""The bytes of the messages ``:b_ids``."""


def insert_messages(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert new messages: ``rows`` from ``records.message_rows`` (their ``data`` goes to
    ``message_bodies``)."""
    connection = session.connection()  # plain statements: the ORM's execute path costs more
    connection.execute(INSERT_MESSAGES, [{k: v for k, v in r.items() if k != "data"} for r in rows])
    connection.execute(INSERT_BODIES, [{"message_id": r["id"], "data": r["data"]} for r in rows])


def bodies(session: Session, ids: Collection[str]) -> dict[str, bytes]:
    """The bytes of the messages ``ids``, by id."""
    if not ids:
        return {}
    return {r.message_id: bytes(r.data) for r in session.execute(BODIES_OF, {"b_ids": list(ids)})}


OPEN_ATTEMPTS = insert(ATTEMPTS)
"""executemany with ``message``, ``number``, ``worker``, ``started_at``."""


def _claim(which: ColumnElement[bool], **also: object) -> Update:
    """Lease up to ``:b_limit`` of the rows ``which`` selects, oldest due first, under the
    claim token ``:b_token``; ``also`` sets more columns."""
    locked = (
        select(_m.id)
        .where(which)
        .order_by(_m.next_attempt_at, _m.id)
        .limit(bindparam("b_limit"))
        .with_for_update(skip_locked=True)
        .cte("due")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    return (
        update(MESSAGES)
        .where(_m.id.in_(select(locked.c.id)))
        .values(
            status=SENDING,
            lease_owner=bindparam("b_worker"),
            lease_token=bindparam("b_token"),
            lease_expires_at=bindparam("b_expires"),
            attempt_count=_m.attempt_count + 1,
            updated_at=bindparam("b_now"),
            **also,
        )
        .returning(
            _m.id,
            _m.connection,
            _m.message_id,
            _m.mail_from,
            _m.rcpt_to,
            _m.smtputf8,
            _m.dsn,
            _m.attempt_count,
            _m.created_at,
            _m.next_attempt_at,
        )
    )


CLAIM_DUE = _claim(and_(text(WAITING_PREDICATE), _m.next_attempt_at <= bindparam("b_now")))
"""Lease queued/retrying messages that are due. PostgreSQL renders::

    WITH due AS MATERIALIZED (
        SELECT messages.id FROM messages
        WHERE status IN ('queued', 'retrying') AND messages.next_attempt_at <= :b_now
        ORDER BY messages.next_attempt_at, messages.id
        LIMIT :b_limit FOR UPDATE SKIP LOCKED)
    UPDATE messages SET status='sending', lease_owner=:b_worker, lease_token=:b_token,
        lease_expires_at=:b_expires, attempt_count=(messages.attempt_count + 1),
        updated_at=:b_now
    WHERE messages.id IN (SELECT due.id FROM due)
    RETURNING messages.id, ..., messages.attempt_count, messages.created_at, ...

The SELECT walks the partial index ``ix_messages_due`` in order and stops after ``b_limit``
unlocked rows, whatever the backlog; concurrent claims skip each other's locked rows instead
of waiting, and never take the same row. MATERIALIZED makes the locking SELECT run exactly
once. SQLite renders the same without MATERIALIZED and FOR UPDATE SKIP LOCKED: the claim
transaction holds the database's single write lock (``BEGIN IMMEDIATE``, see ``store/db.py``),
so claims run one after another.
"""

CLAIM_EXPIRED = _claim(
    and_(_m.status == SENDING, _m.lease_expires_at < bindparam("b_now")),
    outcome_unknown=true(),
)
"""Lease messages whose holder let its lease expire (same shape as CLAIM_DUE, on
``status = 'sending' AND lease_expires_at < :b_now``; few rows: only those in flight).

The holder died or stalled at an unknown point of its attempt, possibly after the server took
the message: the message is marked ``outcome_unknown`` for good, as a duplicate is possible."""

CLOSE_STALE_ATTEMPTS = (
    update(ATTEMPTS)
    .where(_a.message.in_(bindparam("b_ids", expanding=True)), _a.finished_at.is_(None))
    .values(
        finished_at=bindparam("b_now"),
        outcome=AttemptOutcome.UNKNOWN.value,
        error_code="lease_expired",
        error="The worker holding the lease stopped before reporting a result.",
    )
)
"""Close the attempts left open by workers whose leases expired (run right after CLAIM_EXPIRED)."""

EXTEND_LEASES = (
    update(MESSAGES)
    .where(_LISTED_LEASES)
    .values(lease_expires_at=bindparam("b_expires"))
    .returning(_m.id, _m.lease_token, _m.attempt_count)
)
"""Push back the expiry of the claims ``:b_leases`` still held; returns those."""

RECORD_SENT = (
    update(MESSAGES)
    .where(_held())
    .values(
        status=MessageStatus.SENT.value,
        sent_at=bindparam("b_now"),
        updated_at=bindparam("b_now"),
        next_attempt_at=None,
        lease_owner=None,
        lease_token=None,
        lease_expires_at=None,
        accepted=bindparam("b_accepted"),
        rejected=bindparam("b_rejected"),
        response=bindparam("b_response"),
    )
    .returning(_m.attempt_count)
)

LOCK_HELD = (
    select(_m.attempt_count, _m.created_at, _m.outcome_unknown).where(_held()).with_for_update()
)

RECORD_FAILURE = (
    update(MESSAGES)
    .where(_m.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        next_attempt_at=bindparam("b_next"),
        lease_owner=None,
        lease_token=None,
        lease_expires_at=None,
        updated_at=bindparam("b_now"),
        last_error=bindparam("b_error"),
        outcome_unknown=bindparam("b_unknown"),
    )
)

_CLOSING: dict[str, Any] = {
    "finished_at": bindparam("b_now"),
    "outcome": bindparam("b_outcome"),
    "smtp_code": bindparam("b_smtp_code"),
    "enhanced_code": bindparam("b_enhanced_code"),
    "response": bindparam("b_response"),
    "error_code": bindparam("b_error_code"),
    "error": bindparam("b_error"),
}

CLOSE_ATTEMPT = (
    update(ATTEMPTS)
    .where(_a.message == bindparam("b_id"), _a.number == bindparam("b_number"))
    .values(**_CLOSING)
)


_SENT = RECORD_SENT.cte("sent")
RECORD_SENT_CLOSING = (
    update(ATTEMPTS)
    .where(_a.message == bindparam("b_id"), _a.number.in_(select(_SENT.c.attempt_count)))
    .values(**_CLOSING)
    .returning(_a.number)
)
"""PostgreSQL: ``RECORD_SENT`` and ``CLOSE_ATTEMPT`` in one statement (one round trip), the
message's update in a data-modifying CTE::

    WITH sent AS (UPDATE messages SET status='sent', ... WHERE <held> RETURNING attempt_count)
    UPDATE attempts SET finished_at=:b_now, outcome=:b_outcome, ...
    WHERE message = :b_id AND number IN (SELECT attempt_count FROM sent) RETURNING number

No row when the fence failed (a held claim always has its open attempt). SQLite has no
data-modifying CTEs: there the two statements run one after the other."""


def _give_back(which: ColumnElement[bool]) -> Update:
    """Undo claims that never began their attempt: one attempt fewer, queued again if it
    never had one, else retrying; due at ``:b_at``."""
    return (
        update(MESSAGES)
        .where(which)
        .values(
            status=case((_m.attempt_count <= 1, QUEUED), else_=RETRYING),
            attempt_count=_m.attempt_count - 1,
            next_attempt_at=bindparam("b_at"),
            lease_owner=None,
            lease_token=None,
            lease_expires_at=None,
            updated_at=bindparam("b_now"),
        )
        .returning(_m.id, _m.attempt_count)
    )


RELEASE = _give_back(_LISTED_LEASES)
"""Give back the claims ``:b_leases`` (a stopping worker's unstarted ones)."""

DEFER = _give_back(_held())
"""Give back claim ``:b_token`` of message ``:b_id`` until ``:b_at`` (its connection's gate
opens then)."""

DELETE_OPEN_ATTEMPT = ATTEMPTS.delete().where(
    _a.message == bindparam("b_message"), _a.number == bindparam("b_number")
)
"""executemany: the attempt a given-back claim had opened."""

MARK_UNKNOWN = update(MESSAGES).where(_m.id == bindparam("b_id")).values(outcome_unknown=true())
"""A holder that lost its lease may have delivered the message: a duplicate is possible."""

LATE_SENT = (
    update(ATTEMPTS)
    .where(_a.message == bindparam("b_id"), _a.number == bindparam("b_number"))
    .values(
        outcome=AttemptOutcome.SENT.value,
        smtp_code=bindparam("b_smtp_code"),
        enhanced_code=bindparam("b_enhanced_code"),
        response=bindparam("b_response"),
        error_code="lease_lost",
        error="The server took the message after this attempt's lease had been taken over; "
        "another attempt may have delivered it too.",
    )
)
"""What an attempt that delivered after losing its lease leaves as evidence."""


def _pace_row(session: Session, connection: str, now: datetime) -> RateLimitRow:
    """The connection's pace row, locked (created on first use). INSERT ... ON CONFLICT DO
    NOTHING works on both engines; SELECT ... FOR UPDATE then serialises concurrent users on
    PostgreSQL, and SQLite's write lock (``BEGIN IMMEDIATE``) does the same there."""
    dialect = session.get_bind().dialect.name
    upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        upsert(RateLimitRow)
        .values(connection=connection, next_at=now)
        .on_conflict_do_nothing(index_elements=[RateLimitRow.connection])
    )
    return session.execute(
        select(RateLimitRow).where(RateLimitRow.connection == connection).with_for_update()
    ).scalar_one()


def reserve_slots(
    session: Session, connection: str, interval: timedelta, count: int, now: datetime
) -> list[datetime]:
    """Plan ``count`` new messages of ``connection``: their due times, ``interval`` apart, the
    first at ``max(next_at, now)``; ``next_at`` moves on past them (GCRA, burst 1)."""
    row = _pace_row(session, connection, now)
    start = max(row.next_at, now)
    row.next_at = start + interval * count
    return [start + interval * i for i in range(count)]


def pass_gate(
    session: Session, connection: str, interval: timedelta, now: datetime, max_wait: timedelta
) -> datetime:
    """When the next delivery of ``connection`` may start: ``max(gate_at, now)``. When that is
    at most ``max_wait`` away the caller takes it (the gate moves on by ``interval``) and must
    not start before it; later than that, the gate is left as it is."""
    row = _pace_row(session, connection, now)
    start = max(row.gate_at or now, now)
    if start - now <= max_wait:
        row.gate_at = start + interval
    return start
