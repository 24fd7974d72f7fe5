"""Fixtures for API tests: a real database (SQLite, and PostgreSQL when configured) and the app."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from smtp_connector.api.app import create_app
from smtp_connector.config import Settings
from smtp_connector.runtime import Runtime, ensure_admin_key, open_runtime
from support.db import PG_URL

ADMIN_KEY = "test-admin-key-0123456789"


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: SQLite, or each engine where a module parametrizes it with
    ``pytest.mark.parametrize("database_url", ENGINES, indirect=True)`` (PostgreSQL: a new
    database, dropped afterwards)."""
    engine = getattr(request, "param", "sqlite")
    if engine == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
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


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        admin_api_key=ADMIN_KEY,
        inbox=False,
    )


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = open_runtime(settings)
    ensure_admin_key(rt, settings)
    yield rt
    rt.db.dispose()


@pytest.fixture
def client(settings: Settings, runtime: Runtime) -> Iterator[TestClient]:
    """An admin-authenticated client of the app (no server process, real database)."""
    app = create_app(settings, runtime=runtime)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        test_client.headers["Authorization"] = f"Bearer {ADMIN_KEY}"
        yield test_client
