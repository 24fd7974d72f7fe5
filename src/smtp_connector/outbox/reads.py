"""The read side of the outbox: one message with its attempts, pages of messages, counts.

Reads run in read-only transactions (on SQLite they do not take the write lock) and never
load message data. Pages are newest first, continued by an opaque cursor (``records``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from smtp_connector.errors import MessageNotFound
from smtp_connector.outbox import records
from smtp_connector.outbox.base import OutboxBase
from smtp_connector.outbox.types import MessageStatus, OutboxMessage
from smtp_connector.store.models import AttemptRow, MessageRow, as_utc


def attempts_of(session: Session, id: str) -> Sequence[AttemptRow]:
    """The attempts of message ``id``, oldest first."""
    return session.scalars(
        select(AttemptRow).where(AttemptRow.message == id).order_by(AttemptRow.number)
    ).all()


class OutboxReads(OutboxBase):
    """Looking at the outbox: ``get``, ``list`` and ``counts``."""

    def get(self, id: str) -> OutboxMessage:
        """The message with its attempts, oldest first. Raises MessageNotFound."""
        with self._reading() as session:
            row = session.scalar(select(MessageRow).where(MessageRow.id == id))
            if row is None:
                raise MessageNotFound(id)
            return records.message_from(row, attempts_of(session, id))

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
        query = select(MessageRow)
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
