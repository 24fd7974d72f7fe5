"""Fixtures for API tests: a real database (SQLite, and PostgreSQL when configured) and the app."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from smtp_connector.api.app import create_app
from smtp_connector.config import Settings
from smtp_connector.inbox import Inbox
from smtp_connector.runtime import Runtime, ensure_admin_key, open_runtime
from support.api import ADMIN_KEY

# The SMTP client runs on whatever loop it is given: asyncio's, or uvloop's under uvicorn.
_ON_BOTH_LOOPS = {
    "test_smtp_client.py",
    "test_smtp_pool.py",
    "test_smtp_pipelining.py",
    "test_aiosmtpd_interop.py",
}


@pytest.hookimpl(optionalhook=True)
def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
    """The SMTP tests run on asyncio's event loop and, where it is installed, on uvloop."""
    factories: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
        "asyncio": asyncio.new_event_loop
    }
    if item.path.name in _ON_BOTH_LOOPS:
        try:
            import uvloop
        except ImportError:
            pass
        else:
            factories["uvloop"] = uvloop.new_event_loop
    return factories


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


@pytest.fixture
def worker_settings(settings: Settings) -> Settings:
    """Settings for an app that runs its own delivery worker with a short poll and lease."""
    return settings.model_copy(update={"poll_seconds": 0.05, "lease_seconds": 5.0})


@pytest.fixture
def worker_client(worker_settings: Settings) -> Iterator[TestClient]:
    """Like ``client``, with a delivery worker running in the app (drained at teardown)."""
    rt = open_runtime(worker_settings)
    ensure_admin_key(rt, worker_settings)
    app = create_app(worker_settings, runtime=rt, worker=True)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        test_client.headers["Authorization"] = f"Bearer {ADMIN_KEY}"
        yield test_client
    rt.db.dispose()


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    """A running local inbox on a free port."""
    captured = Inbox(port=0)
    captured.start()
    yield captured
    captured.stop()


@pytest.fixture
def api(settings: Settings, runtime: Runtime, inbox: Inbox) -> Iterator[TestClient]:
    """Like ``client``, for an app that also serves ``inbox`` at ``/v1/inbox``."""
    app = create_app(settings, runtime=runtime, inbox=inbox)
    with TestClient(app, raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_KEY}"
        yield client
