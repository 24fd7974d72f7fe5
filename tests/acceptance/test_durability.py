"""Durable delivery with real processes: kill -9 a worker mid-delivery and lose nothing; several
API and worker processes share one PostgreSQL outbox."""

from __future__ import annotations

import collections
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from smtp_connector.examples import SEED_EXAMPLE
from support.db import ENGINES
from support.processes import Process, clean_env, start_serve, start_worker
from support.smtp_server import SmtpTestServer
from support.waiting import wait_until

ADMIN = "durability-admin-key"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
CONCURRENCY = 8


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return clean_env(
        SMTP_CONNECTOR_DATABASE_URL=database_url,
        SMTP_CONNECTOR_DATA_DIR=str(tmp_path / "data"),
        SMTP_CONNECTOR_SECRET_KEY="durability-secret",
        SMTP_CONNECTOR_ADMIN_API_KEY=ADMIN,
        SMTP_CONNECTOR_LEASE_SECONDS="3",
        SMTP_CONNECTOR_POLL_SECONDS="0.05",
        SMTP_CONNECTOR_WORKER_CONCURRENCY=str(CONCURRENCY),
        SMTP_CONNECTOR_LOG_LEVEL="info",
    )


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for proc in started:
        if proc.process.poll() is None:
            proc.process.kill()
            proc.process.wait(timeout=10)


def _connect(api: str, server: SmtpTestServer) -> None:
    body = {"name": "mail", "server": server.host, "port": server.port, "security": "none"}
    response = httpx.post(f"{api}/v1/connections", json=body, headers=AUTH, timeout=10)
    assert response.status_code == 201, response.text


def _send_async(apis: list[str], count: int) -> list[str]:
    """Send ``count`` messages round-robin over the APIs; returns their Message-IDs."""
    message_ids = []
    clients = [
        httpx.Client(base_url=api, headers={**AUTH, "Prefer": "respond-async"}, timeout=30)
        for api in apis
    ]
    try:
        for i in range(count):
            payload = {**SEED_EXAMPLE, "Subject": f"durable {i}"}
            response = clients[i % len(clients)].post("/v1/connections/mail/send", json=payload)
            assert response.status_code == 202, response.text
            message_ids.append(response.json()["messageId"])
    finally:
        for client in clients:
            client.close()
    return message_ids


def _copies(server: SmtpTestServer) -> collections.Counter[str]:
    return collections.Counter(str(m.message["Message-ID"]) for m in server.messages)


@pytest.mark.parametrize("database_url", ENGINES, indirect=True)
def test_kill_9_of_the_worker_loses_nothing(
    tmp_path: Path, env: dict[str, str], processes: list[Process], smtp_server: SmtpTestServer
) -> None:
    api = start_serve(tmp_path, env, "--no-worker", "--no-inbox")
    processes.append(api)
    _connect(api.base, smtp_server)
    accepted = _send_async([api.base], 2000)

    first = start_worker(tmp_path, env, "w1")
    processes.append(first)
    wait_until(lambda: len(smtp_server.messages) >= 400, timeout=60, what="400 deliveries")
    first.kill9()
    delivered_at_kill = len(smtp_server.messages)
    assert delivered_at_kill < 2000, "the kill did not land in the middle of the delivery"

    second = start_worker(tmp_path, env, "w2")
    processes.append(second)
    wait_until(
        lambda: set(_copies(smtp_server)) >= set(accepted),
        timeout=120,
        what="every accepted message delivered",
    )
    copies = _copies(smtp_server)
    assert set(copies) == set(accepted)
    duplicates = sum(n - 1 for n in copies.values())
    assert duplicates <= CONCURRENCY, f"{duplicates} duplicates, at most {CONCURRENCY} in flight"

    assert second.terminate() == 0
    assert "worker.stopped" in second.output()
    statuses = httpx.get(f"{api.base}/metrics", timeout=10).text
    assert 'smtp_connector_queue_messages{status="sent"} 2000.0' in statuses
    assert 'smtp_connector_queue_messages{status="sending"} 0.0' in statuses
    assert api.terminate() == 0


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_api_and_workers_scale_out_on_postgresql(
    tmp_path: Path,
    env: dict[str, str],
    processes: list[Process],
    smtp_server: SmtpTestServer,
    database_url: str,
) -> None:
    apis = [start_serve(tmp_path, env, "--no-worker", "--no-inbox", name=f"api{i}") for i in (1, 2)]
    processes.extend(apis)
    workers = [start_worker(tmp_path, env, f"w{i}") for i in (1, 2, 3)]
    processes.extend(workers)
    _connect(apis[0].base, smtp_server)
    accepted = _send_async([a.base for a in apis], 600)
    wait_until(
        lambda: set(_copies(smtp_server)) >= set(accepted),
        timeout=120,
        what="every accepted message delivered",
    )
    copies = _copies(smtp_server)
    assert set(copies) == set(accepted)
    assert max(copies.values()) == 1, "a message was delivered twice without any crash"

    for proc in workers + apis:
        assert proc.terminate() == 0
    engine = create_engine(database_url)
    with engine.connect() as conn:
        per_worker = dict(
            conn.execute(
                text("SELECT worker, count(*) FROM attempts WHERE outcome = 'sent' GROUP BY worker")
            ).all()
        )
    engine.dispose()
    assert set(per_worker) == {"w1", "w2", "w3"}, per_worker
    assert sum(per_worker.values()) == 600
