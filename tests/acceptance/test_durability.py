"""Durable delivery with real processes and the settings a user gets (no lease or poll
shortened): kill -9 a worker mid-delivery and lose nothing, recovered within a minute; a slow
server never gets a message twice; several API and worker processes share one PostgreSQL
outbox."""

from __future__ import annotations

import collections
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from smtp_connector.config import Settings
from smtp_connector.examples import SEED_EXAMPLE
from support.db import ENGINES
from support.processes import Process, clean_env, start_serve, start_worker
from support.smtp_server import Faults, SmtpTestServer
from support.waiting import wait_until

ADMIN = "durability-admin-key"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
CONCURRENCY = Settings().worker_concurrency  # the default: at most this many in flight
RECOVERY_SECONDS = 60
SENT_GAUGE = 'smtp_connector_queue_messages{status="sent"}'


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return clean_env(
        SMTP_CONNECTOR_DATABASE_URL=database_url,
        SMTP_CONNECTOR_DATA_DIR=str(tmp_path / "data"),
        SMTP_CONNECTOR_SECRET_KEY="durability-secret",
        SMTP_CONNECTOR_ADMIN_API_KEY=ADMIN,
        SMTP_CONNECTOR_LOG_LEVEL="info",
    )


def _connect(api: str, server: SmtpTestServer) -> None:
    body = {"name": "mail", "server": server.host, "port": server.port, "security": "none"}
    response = httpx.post(f"{api}/v1/connections", json=body, headers=AUTH, timeout=10)
    assert response.status_code == 201, response.text


def _send_async(apis: list[str], count: int) -> dict[str, str]:
    """Send ``count`` messages round-robin over the APIs; returns outbox id by Message-ID."""
    message_ids: dict[str, str] = {}
    clients = [
        httpx.Client(base_url=api, headers={**AUTH, "Prefer": "respond-async"}, timeout=30)
        for api in apis
    ]
    try:
        for i in range(count):
            payload = {**SEED_EXAMPLE, "Subject": f"durable {i}"}
            response = clients[i % len(clients)].post("/v1/connections/mail/send", json=payload)
            assert response.status_code == 202, response.text
            message_ids[response.json()["messageId"]] = response.json()["id"]
    finally:
        for client in clients:
            client.close()
    return message_ids


def _sent(api: str) -> int:
    """How many messages the outbox records as sent (from ``/metrics``)."""
    metrics = httpx.get(f"{api}/metrics", timeout=10).text
    line = next(m for m in metrics.splitlines() if m.startswith(SENT_GAUGE))
    return int(float(line.rsplit(" ", 1)[1]))


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
    # The killed worker's leases run out (30 s by default) and the second takes over; a message
    # the server took just before the kill is sent again then, and recorded as sent.
    wait_until(
        lambda: _sent(api.base) == len(accepted),
        timeout=RECOVERY_SECONDS,
        every=0.5,
        what="every accepted message delivered and recorded within a minute of the restart",
    )
    copies = _copies(smtp_server)
    assert set(copies) == set(accepted)
    twice = [message_id for message_id, n in copies.items() if n > 1]
    assert len(twice) <= CONCURRENCY, f"{len(twice)} duplicates, at most {CONCURRENCY} in flight"
    for message_id in twice:  # a message sent twice says so
        message = httpx.get(f"{api.base}/v1/messages/{accepted[message_id]}", headers=AUTH).json()
        assert message["outcomeUnknown"] is True, message

    assert second.terminate() == 0
    assert "worker.stopped" in second.output()
    statuses = httpx.get(f"{api.base}/metrics", timeout=10).text
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


@pytest.mark.parametrize("database_url", ENGINES, indirect=True)
def test_a_server_slower_than_the_lease_gets_each_message_once(
    tmp_path: Path, env: dict[str, str], processes: list[Process], smtp_server_factory: Any
) -> None:
    """The server takes longer than a whole default lease to confirm each message; the API's
    own first attempt and a worker's both keep their leases alive, so a second worker beside
    them never sends a copy."""
    lease = Settings().lease_seconds
    server: SmtpTestServer = smtp_server_factory(faults=Faults(accept_slowly=lease + 5))
    api = start_serve(tmp_path, env, "--no-inbox")  # the API with its own worker
    processes.append(api)
    rival = start_worker(tmp_path, env, "rival")
    processes.append(rival)
    body = {
        "name": "mail",
        "server": server.host,
        "port": server.port,
        "security": "none",
        "timeoutSeconds": lease + 30,
    }
    assert httpx.post(f"{api.base}/v1/connections", json=body, headers=AUTH).status_code == 201

    sync = httpx.post(
        f"{api.base}/v1/connections/mail/send", json=SEED_EXAMPLE, headers=AUTH, timeout=60
    )
    assert sync.status_code == 202  # still being confirmed after SEND_WAIT_SECONDS
    queued = httpx.post(
        f"{api.base}/v1/connections/mail/send",
        json={**SEED_EXAMPLE, "Subject": "queued"},
        headers={**AUTH, "Prefer": "respond-async"},
    )
    assert queued.status_code == 202

    def final(response: httpx.Response) -> dict[str, Any] | None:
        location = f"{api.base}{response.headers['location']}"
        message: dict[str, Any] = httpx.get(location, headers=AUTH).json()
        return message if message["status"] == "sent" else None

    for response in (sync, queued):
        message = wait_until(lambda r=response: final(r), timeout=2 * lease + 30, every=0.5)
        assert message["outcomeUnknown"] is False
        assert [a["outcome"] for a in message["attempts"]] == ["sent"]
    assert sorted(_copies(server).values()) == [1, 1]
