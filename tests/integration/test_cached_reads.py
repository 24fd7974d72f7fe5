"""API keys and connections are read from the database once, not on every request.

This process's own changes take effect at once; another process's (several ``serve`` and
``worker`` processes on one database) within ``CACHE_SECONDS``. Another process is played here
by a second runtime on the same database: its stores have their own caches, as another
process's do (tests/acceptance/test_key_revocation.py revokes with the real CLI).
"""

from __future__ import annotations

import secrets
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from smtp_connector.config import Settings
from smtp_connector.keys import Scope
from smtp_connector.runtime import Runtime, open_runtime
from support.api import SEED, USER, ServerFactory, add_connection, send, serving
from support.db import ENGINES
from support.waiting import wait_until

pytestmark = pytest.mark.parametrize("database_url", ENGINES, indirect=True)

ASYNC = {"Prefer": "respond-async"}
MARGIN_SECONDS = 5.0
"""Added to CACHE_SECONDS when polling for another process's change (a slow machine's slack)."""


@contextmanager
def another_process(settings: Settings) -> Iterator[Runtime]:
    runtime = open_runtime(settings)
    try:
        yield runtime
    finally:
        runtime.db.dispose()


@contextmanager
def statements(runtime: Runtime) -> Iterator[list[str]]:
    """The SQL statements ``runtime`` runs inside the block."""
    seen: list[str] = []

    def note(*args: Any) -> None:
        seen.append(args[2])

    event.listen(runtime.db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(runtime.db.engine, "before_cursor_execute", note)


def _tables_read(seen: list[str]) -> list[str]:
    return [q.split("FROM ", 1)[1].split()[0] for q in seen if q.startswith("SELECT")]


def _bound(settings: Settings) -> float:
    return settings.cache_seconds + MARGIN_SECONDS


def test_a_repeated_read_does_not_touch_the_database(
    client: TestClient, runtime: Runtime, smtp_server_factory: ServerFactory
) -> None:
    add_connection(client, smtp_server_factory())
    assert client.get("/v1/connections/mail").status_code == 200
    with statements(runtime) as seen:
        again = client.get("/v1/connections/mail")
    assert again.status_code == 200 and again.json()["name"] == "mail"
    assert seen == []


def test_a_key_revoked_here_is_refused_at_once(client: TestClient) -> None:
    created = client.post("/v1/keys", json={"name": "app", "scope": "admin"}).json()
    auth = {"Authorization": f"Bearer {created['key']}"}
    assert client.get("/v1/keys", headers=auth).status_code == 200
    assert client.delete(f"/v1/keys/{created['id']}").status_code == 200
    assert client.get("/v1/keys", headers=auth).status_code == 401


def test_a_key_revoked_by_another_process_is_refused_within_cache_seconds(
    client: TestClient, settings: Settings
) -> None:
    assert settings.cache_seconds == 5  # the default a user gets
    with another_process(settings) as other:
        new = other.keys.create("app", Scope.ADMIN)
        auth = {"Authorization": f"Bearer {new.secret}"}
        assert client.get("/v1/keys", headers=auth).status_code == 200  # created elsewhere
        other.keys.revoke(new.key.id)
    wait_until(
        lambda: client.get("/v1/keys", headers=auth).status_code == 401,
        timeout=_bound(settings),
        every=0.1,
        what="the revoked key refused",
    )


def test_a_connection_edited_here_is_used_at_once_by_the_api_and_the_worker(
    settings: Settings, smtp_server_factory: ServerFactory
) -> None:
    first = smtp_server_factory()
    second = smtp_server_factory(mode="starttls", users={USER: "right"})
    with serving(settings.model_copy(update={"poll_seconds": 0.05})) as (client, _runtime):
        add_connection(client, first)
        assert send(client, SEED).status_code == 200
        moved = {
            "server": second.host,
            "port": second.port,
            "security": "starttls",
            "caBundle": second.ca_pem,
            "username": USER,
            "password": "right",
        }
        assert client.patch("/v1/connections/mail", json=moved).status_code == 200
        assert send(client, SEED).status_code == 200  # the API's own first attempt
        queued = client.post("/v1/connections/mail/send", json=SEED, headers=ASYNC)
        assert queued.status_code == 202
        second.wait_for_messages(2)  # the second through the worker
        assert len(first.messages) == 1

        client.patch("/v1/connections/mail", json={"password": "wrong", "retryPolicy": None})
        refused = send(client, SEED)
        assert refused.status_code == 502 and refused.json()["code"] == "auth_failed"


def test_a_connection_edited_by_another_process_is_used_within_cache_seconds(
    client: TestClient, settings: Settings, smtp_server_factory: ServerFactory
) -> None:
    first, second = smtp_server_factory(), smtp_server_factory()
    add_connection(client, first)
    assert send(client, SEED).status_code == 200
    with another_process(settings) as other:
        other.connections.update("mail", {"server": second.host, "port": second.port})

        def moved() -> bool:
            assert send(client, SEED).status_code == 200
            return bool(second.messages)

        wait_until(moved, timeout=_bound(settings), every=0.1, what="sent to the new server")
        other.connections.delete("mail")
    wait_until(
        lambda: send(client, SEED).status_code == 404,
        timeout=_bound(settings),
        every=0.1,
        what="the deleted connection unknown",
    )


def test_with_cache_seconds_zero_every_request_reads(
    settings: Settings, smtp_server_factory: ServerFactory
) -> None:
    uncached = settings.model_copy(update={"cache_seconds": 0})
    first, second = smtp_server_factory(), smtp_server_factory()
    with serving(uncached, worker=False) as (client, runtime), another_process(uncached) as other:
        add_connection(client, first)
        new = other.keys.create("app", Scope.ADMIN)
        auth = {"Authorization": f"Bearer {new.secret}"}
        assert send(client, SEED).status_code == 200
        with statements(runtime) as seen:
            assert client.get("/v1/connections/mail", headers=auth).status_code == 200
        assert _tables_read(seen) == ["api_keys", "connections"]

        other.keys.revoke(new.key.id)
        assert client.get("/v1/connections/mail", headers=auth).status_code == 401
        other.connections.update("mail", {"server": second.host, "port": second.port})
        assert send(client, SEED).status_code == 200
        assert (len(first.messages), len(second.messages)) == (1, 1)


def test_unknown_keys_take_no_memory(runtime: Runtime) -> None:
    """Random bearer tokens (someone guessing) are looked up, never kept."""

    def guess(count: int) -> None:
        for _ in range(count):
            assert runtime.keys.authenticate("sck_" + secrets.token_urlsafe(32)) is None

    guess(200)  # the database driver's own caches warm up
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        guess(1000)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 100_000  # keeping each guess would take over 300 KB
