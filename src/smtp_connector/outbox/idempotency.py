"""Idempotency keys: the first request with a key enqueues; a repeat replays or is refused.

The key row is written in the same transaction as the messages it names, so a key exists if
and only if its messages do. Two concurrent requests with one key cannot both commit: the
primary key (scope, key) makes the second insert fail, and the loser re-reads the winner's row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Table, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from smtp_connector.errors import Conflict, IdempotencyMismatch
from smtp_connector.store.models import IdempotencyKeyRow


@dataclass(frozen=True)
class IdempotencyRequest:
    """An ``Idempotency-Key`` as sent by a caller.

    ``scope`` is the API key id (keys of different callers never collide); ``request_hash``
    is a digest of what the request asks for (a different body with the same key is refused).
    """

    scope: str
    key: str
    request_hash: str
    ttl_seconds: float = 86400.0


@dataclass(frozen=True)
class IdempotencyRecord:
    """What the first request with a key left behind."""

    scope: str
    key: str
    request_hash: str
    message_ids: tuple[str, ...]
    status_code: int | None
    """None while the first request is still in progress (no answer saved yet)."""
    response: dict[str, Any] | None
    created_at: datetime
    expires_at: datetime


class IdempotentReplay(Conflict):
    """The key was already used with the same request: answer as the first request did.

    ``status_code`` None means the first request has not answered yet (still in progress);
    otherwise ``status_code`` and ``response`` are the saved answer. Left uncaught it is a 409.
    """

    code = "idempotency_key_in_use"

    def __init__(self, record: IdempotencyRecord) -> None:
        if record.status_code is None:
            text = "A request with this Idempotency-Key has not saved its answer."
        else:
            text = "A request with this Idempotency-Key was already processed."
        super().__init__(text)
        self.record = record

    @property
    def status_code(self) -> int | None:
        return self.record.status_code

    @property
    def response(self) -> dict[str, Any] | None:
        return self.record.response

    @property
    def message_ids(self) -> tuple[str, ...]:
        return self.record.message_ids


def _record(row: IdempotencyKeyRow) -> IdempotencyRecord:
    return IdempotencyRecord(
        scope=row.scope,
        key=row.key,
        request_hash=row.request_hash,
        message_ids=tuple(row.message_ids),
        status_code=row.status_code,
        response=row.response,
        created_at=row.created_at,
        expires_at=row.expires_at,
    )


def refusal(record: IdempotencyRecord, request: IdempotencyRequest) -> Conflict:
    """The error for a repeated key: a replay, or a mismatch when the request differs."""
    if record.request_hash != request.request_hash:
        return IdempotencyMismatch(
            "This Idempotency-Key was already used with a different request; "
            "use a new key for a new request."
        )
    return IdempotentReplay(record)


def find_live(
    session: Session, request: IdempotencyRequest, now: datetime
) -> IdempotencyRecord | None:
    """The unexpired record of this key, if any."""
    row = session.scalar(
        select(IdempotencyKeyRow).where(
            IdempotencyKeyRow.scope == request.scope,
            IdempotencyKeyRow.key == request.key,
            IdempotencyKeyRow.expires_at > now,
        )
    )
    return None if row is None else _record(row)


def reserve(
    session: Session,
    request: IdempotencyRequest,
    message_ids: Sequence[str],
    now: datetime,
    answer: tuple[int, dict[str, Any]] | None = None,
) -> None:
    """Insert the key for ``message_ids``, in the caller's transaction, with the request's
    ``answer`` (status code and body) when it is already known.

    Raises IdempotentReplay or IdempotencyMismatch when a live record exists; an expired one
    is replaced. A new key (the usual case) costs one statement: the insert that does nothing
    when the key is there, in which case the existing record is read. A concurrent insert of
    the same key surfaces as IntegrityError (at the latest on commit): the caller rolls back
    and calls ``find_live`` in a new transaction.
    """
    values = {
        "scope": request.scope,
        "key": request.key,
        "request_hash": request.request_hash,
        "message_ids": list(message_ids),
        "status_code": None if answer is None else answer[0],
        "response": None if answer is None else answer[1],
        "created_at": now,
        "expires_at": now + timedelta(seconds=request.ttl_seconds),
    }
    connection = session.connection()
    inserted = connection.execute(_insert_new(connection.dialect.name), values).first()
    if inserted is not None:  # the key is new
        return
    live = find_live(session, request, now)
    if live is not None:
        raise refusal(live, request)
    session.execute(
        delete(IdempotencyKeyRow).where(
            IdempotencyKeyRow.scope == request.scope,
            IdempotencyKeyRow.key == request.key,
            IdempotencyKeyRow.expires_at <= now,
        )
    )
    session.execute(insert(IdempotencyKeyRow).values(**values))


_INSERT_NEW: dict[str, Any] = {}


def _insert_new(dialect: str) -> Any:
    """The dialect's ``INSERT ... ON CONFLICT (scope, key) DO NOTHING RETURNING key`` (SQLite
    3.24+, PostgreSQL), built once: building it cost more than running it."""
    statement = _INSERT_NEW.get(dialect)
    if statement is None:
        table = cast(Table, IdempotencyKeyRow.__table__)
        module: Any = postgresql if dialect == "postgresql" else sqlite
        statement = (
            module.insert(table)
            .on_conflict_do_nothing(index_elements=["scope", "key"])
            .returning(table.c.key)
        )
        _INSERT_NEW[dialect] = statement
    return statement


def save_response(
    session: Session, scope: str, key: str, status_code: int, response: dict[str, Any]
) -> None:
    session.execute(
        update(IdempotencyKeyRow)
        .where(IdempotencyKeyRow.scope == scope, IdempotencyKeyRow.key == key)
        .values(status_code=status_code, response=response)
    )


def purge(session: Session, now: datetime) -> int:
    """Delete the keys that expired by ``now``; returns how many."""
    result = session.execute(delete(IdempotencyKeyRow).where(IdempotencyKeyRow.expires_at <= now))
    return int(cast(CursorResult[Any], result).rowcount)
