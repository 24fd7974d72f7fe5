"""What every part of ``OutboxStore`` shares: the database, read transactions and the clock.

``OutboxStore`` (``outbox/store.py``) is composed of focused classes (``OutboxLeases`` for
workers, ``OutboxReads`` for readers) that all derive from ``OutboxBase``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TypeVar

from anyio import to_thread
from sqlalchemy.orm import Session

from smtp_connector.store.db import Database
from smtp_connector.store.group_commit import GroupCommit
from smtp_connector.store.models import as_utc

T = TypeVar("T")


class OutboxBase:
    """Holds the database; each verb is one transaction of its own, or, for the verbs of the
    hot path (enqueue, record an outcome), one unit of a group commit when ``group`` is given
    (what ``open_runtime`` does)."""

    def __init__(self, db: Database, group: GroupCommit | None = None) -> None:
        self._db = db
        self._group = group

    def _write(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in a write transaction (a group commit's, if any); its result once
        committed."""
        if self._group is not None:
            return self._group.run(work)
        with self._db.session() as session:
            return work(session)

    async def _write_async(self, work: Callable[[Session], T]) -> T:
        """``_write`` from a coroutine: through the group commit without a thread hop."""
        if self._group is not None:
            return await self._group.run_async(work)
        return await to_thread.run_sync(self._write, work)

    def _now(self, session: Session, now: datetime | None) -> datetime:
        """``now`` when the caller gives one (tests control time), else the database's clock:
        every lease and due time is set and compared on that one clock."""
        return self._db.clock(session) if now is None else as_utc(now)

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        """A read-only transaction: on SQLite it does not take the write lock."""
        with self._db.reading() as session:
            yield session
