"""The delivery worker in-process: drain on stop, unknown outcomes, the API's wait limit."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi.testclient import TestClient

from smtp_connector.api.app import create_app
from smtp_connector.config import Settings
from smtp_connector.connections import Connection
from smtp_connector.mail.compose import compose
from smtp_connector.mail.message import Address, Email
from smtp_connector.outbox.types import MessageStatus, RetryPolicy
from smtp_connector.runtime import ensure_admin_key, open_runtime
from smtp_connector.smtp.types import Security
from support.api import ADMIN_KEY, SEED, ServerFactory, add_connection, send
from support.smtp_server import Faults, SmtpTestServer


def _email(i: int) -> Email:
    return Email(
        sender=Address("a@example.com"),
        to=(Address("b@example.com"),),
        subject=f"drain {i}",
        body="x",
    )


async def test_stop_lets_in_flight_messages_finish_and_leaves_nothing_leased(
    tmp_path: Path, smtp_server_factory: ServerFactory
) -> None:
    server = smtp_server_factory(faults=Faults(stall_on="DATA_END"))
    settings = Settings(
        data_dir=tmp_path, poll_seconds=0.05, lease_seconds=30, worker_concurrency=4
    )
    runtime = open_runtime(settings)
    runtime.connections.create(
        Connection(
            name="slow",
            server=server.host,
            port=server.port,
            security=Security.NONE,
            timeout_seconds=0.5,
            retry_policy=RetryPolicy(initial_delay_seconds=60),
        ),
        None,
    )
    ids = runtime.outbox.enqueue("slow", [compose(_email(i)) for i in range(3)])
    worker = runtime.worker()
    stop = asyncio.Event()
    run = asyncio.create_task(worker.run(stop))
    for _ in range(200):  # bounded: until all three are being delivered
        if len(server.messages) + sum(1 for s in server.sessions if not s.closed) >= 3:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(run, timeout=10)
    statuses = [runtime.outbox.get(i) for i in ids]
    assert all(m.status is MessageStatus.RETRYING for m in statuses), statuses
    assert all(m.outcome_unknown for m in statuses)
    assert all(m.attempts[-1].finished_at is not None for m in statuses)
    assert runtime.outbox.counts()[MessageStatus.SENDING] == 0
    await runtime.close()


def test_drop_after_the_final_dot_is_an_honest_unknown(
    client: TestClient, smtp_server_factory: ServerFactory
) -> None:
    server = smtp_server_factory(faults=Faults(drop_after_data=True))
    add_connection(client, server)
    response = send(client, SEED)
    assert response.status_code == 202
    message = client.get(response.headers["location"]).json()
    assert message["status"] == "retrying"
    assert message["outcomeUnknown"] is True
    assert message["attempts"][0]["outcome"] == "unknown"


def test_a_slow_first_attempt_answers_202_within_the_wait(
    settings: Settings, smtp_server_factory: ServerFactory
) -> None:
    quick = settings.model_copy(update={"send_wait_seconds": 0.2})
    runtime = open_runtime(quick)
    ensure_admin_key(runtime, quick)
    server: SmtpTestServer = smtp_server_factory(faults=Faults(stall_on="DATA_END"))
    with TestClient(create_app(quick, runtime=runtime)) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_KEY}"
        add_connection(client, server, timeoutSeconds=1.5)
        response = send(client, SEED)
        assert response.status_code == 202
        assert response.json()["status"] == "sending"
        location = response.headers["location"]
    # Leaving the client drained the attempt it had started: the outcome is recorded.
    with TestClient(create_app(quick, runtime=open_runtime(quick))) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_KEY}"
        message = client.get(location).json()
    assert message["status"] == "retrying"
    assert message["attempts"][0]["outcome"] == "unknown"
