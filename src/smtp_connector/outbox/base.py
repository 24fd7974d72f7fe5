"""What every part of ``OutboxStore`` shares: the database, read transactions and the clock.

``OutboxStore`` (``outbox/store.py``) is composed of focused classes (``OutboxLeases`` for
workers, ``OutboxReads`` for readers) that all derive from ``OutboxBase``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy.orm import Session

from smtp_connector.store.db import Database
from smtp_connector.store.models import as_utc


class OutboxBase:
    """Holds the database; each verb is one transaction of its own."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def _now(self, session: Session, now: datetime | None) -> datetime:
        """``now`` when the caller gives one (tests control time), else the database's clock:
        every lease and due time is set and compared on that one clock."""
        return self._db.clock(session) if now is None else as_utc(now)

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        """A read-only transaction: on SQLite it does not take the write lock."""
        with self._db.session() as session:
            session.connection(execution_options={"sqlite_begin": "DEFERRED"})
            yield session
