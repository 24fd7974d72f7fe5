"""Engine and session factory, SQLite durability settings, and schema upgrades at start-up."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from smtp_connector.store.models import as_utc

MIGRATIONS = Path(__file__).parent / "migrations"


POOL_SIZE = 10
"""Connections kept open per process: enough for the worker threads that read at once (a
connection beyond these is opened for one use and closed, which costs a connect and, on
SQLite, the PRAGMAs; on PostgreSQL a new server process)."""
POOL_OVERFLOW = 30


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, synchronous=FULL and a busy timeout. Errors and logs
    never show statement parameters (message bytes, encrypted secrets)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=True,
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(
        url,
        pool_pre_ping=True,
        hide_parameters=True,
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # The sqlite3 driver must not start transactions itself: ``_sqlite_begin`` does.
    dbapi_connection.isolation_level = None


_SQLITE_BEGIN_MODES = {"DEFERRED", "IMMEDIATE", "EXCLUSIVE"}


def _sqlite_begin(connection: Connection) -> None:
    """Start each transaction with ``BEGIN IMMEDIATE``: take the write lock up front.

    A deferred transaction that reads and then writes must upgrade its lock, and in WAL mode
    that fails at once ("database is locked") when another connection wrote in between; an
    immediate one waits for the lock (busy timeout) instead. A read-only unit of work may ask
    for ``execution_options(sqlite_begin="DEFERRED")`` so that it never waits for writers.
    (SQLAlchemy's documented recipe for SQLite transaction control.)
    """
    mode = str(connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")).upper()
    if mode not in _SQLITE_BEGIN_MODES:
        raise ValueError(f"unknown SQLite BEGIN mode {mode!r}")
    connection.exec_driver_sql(f"BEGIN {mode}")


_CLOCK = "smtp_connector.clock"

_MIGRATION_LOCK = 0x736D7470  # "smtp": the advisory lock key every process migrates under


def upgrade_schema(engine: Engine) -> None:
    """Bring the database to the newest migration (idempotent); safe when several processes
    start at once: they migrate one after another, and the later ones find nothing to do.

    On PostgreSQL the transaction takes an advisory lock first; on SQLite it begins with
    ``BEGIN IMMEDIATE`` (the write lock), so there too one process migrates at a time.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class Database:
    """The engine plus a session factory; ``session()`` commits on success, rolls back on error.

    On SQLite the write transactions of one process take turns on a lock of the process
    before ``BEGIN IMMEDIATE``: a thread that must wait for another thread's write then waits
    on that lock, woken the moment it is free, instead of in SQLite's busy handler, which polls
    with sleeps of up to 100 ms. Only other processes on the same file still meet the busy
    handler. PostgreSQL needs no such lock.
    """

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._server_clock = self.engine.dialect.name != "sqlite"
        self._write_turn: threading.RLock | None = None if self._server_clock else threading.RLock()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def write_turn(self) -> AbstractContextManager[object]:
        """This process's turn to write (SQLite), held for a whole write transaction."""
        return self._write_turn if self._write_turn is not None else nullcontext()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read-write unit of work, committed on success."""
        with self.write_turn(), self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only unit of work; on SQLite it does not take (or wait for) the write lock."""
        with self._sessions() as session, session.begin():
            session.connection(execution_options={"sqlite_begin": "DEFERRED"})
            yield session

    def clock(self, session: Session) -> datetime:
        """The database's current time, aware UTC, read in ``session``'s transaction.

        Leases and due times are compared with this clock, so that a process whose own clock
        is wrong cannot take over live leases. SQLite is embedded: every process that opens
        the file runs on this machine, whose clock is the database's.
        """
        if not self._server_clock:
            return datetime.now(UTC)
        # Read once per transaction: the units of work of a group commit share one reading.
        clock = session.info.get(_CLOCK)
        if clock is None:
            clock = as_utc(session.execute(select(func.clock_timestamp())).scalar_one())
            session.info[_CLOCK] = clock
        return clock

    def dispose(self) -> None:
        self.engine.dispose()
