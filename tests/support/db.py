"""Database engines the integration tests run on, and a fresh database on each."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

ENGINES = ["sqlite", "postgresql"]
PG_URL = os.environ.get("SMTP_CONNECTOR_TEST_DATABASE_URL")


@contextmanager
def fresh_database(engine: str, directory: Path) -> Iterator[str]:
    """The URL of a new, empty database: a SQLite file in ``directory``, or a new PostgreSQL
    database (dropped afterwards; the test is skipped when PostgreSQL is not configured)."""
    if engine == "sqlite":
        yield f"sqlite:///{directory / 'test.db'}"
        return
    if not PG_URL:
        pytest.skip("SMTP_CONNECTOR_TEST_DATABASE_URL is not set: PostgreSQL tests not run")
    name = "smtpc_" + secrets.token_hex(6)
    admin = create_engine(_psycopg(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = _psycopg(PG_URL).rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _psycopg(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)
