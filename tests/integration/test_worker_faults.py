"""Workers survive faults: a database that stops answering, an attempt that raises anything,
and a paced backlog beside an unpaced connection; retention through the wiring ``serve`` uses.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from smtp_connector.api.app import create_app
from smtp_connector.config import Settings
from smtp_connector.connections import Connection
from smtp_connector.mail.compose import compose
from smtp_connector.mail.message import Address, Email
from smtp_connector.runtime import Runtime, open_runtime
from smtp_connector.smtp.types import Security
from support.api import SEED, ServerFactory, add_connection, send, serving
from support.db import ENGINES
from support.faults import Outage
from support.smtp_server import SmtpTestServer
from support.waiting import wait_until

pytestmark = pytest.mark.parametrize("database_url", ENGINES, indirect=True)


@pytest.fixture
def fast(settings: Settings) -> Settings:
    return settings.model_copy(update={"poll_seconds": 0.05})


def test_a_worker_that_cannot_claim_keeps_trying_and_readyz_says_so(
    fast: Settings, smtp_server: SmtpTestServer
) -> None:
    """F2: claims fail (the database does not answer the worker); /readyz is 503 with the
    reason meanwhile, and delivery resumes once claims work again."""
    with serving(fast) as (client, runtime):
        add_connection(client, smtp_server)
        outage = Outage(runtime.outbox.claim)
        runtime.outbox.claim = outage  # type: ignore[method-assign]
        wait_until(lambda: outage.failures >= 3, what="three failed claims")
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["code"] == "worker_unavailable"
        assert "connection refused" in ready.json()["detail"]
        accepted = client.post(
            "/v1/connections/mail/send", json=SEED, headers={"Prefer": "respond-async"}
        )
        assert accepted.status_code == 202

        outage.down = False
        location = accepted.headers["location"]
        wait_until(lambda: client.get(location).json()["status"] == "sent", what="sent")
        assert client.get("/readyz").status_code == 200
        assert len(smtp_server.messages) == 1


def test_readyz_is_503_while_the_worker_does_not_run(fast: Settings) -> None:
    """The app is built with a worker that has not started (or has stopped): not ready."""
    runtime = open_runtime(fast)
    app = create_app(fast, runtime=runtime, worker=True)
    client = TestClient(app)  # no lifespan: the worker never runs
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert (ready.json()["code"], ready.json()["detail"]) == (
        "worker_unavailable",
        "The delivery worker is not running.",
    )
    with TestClient(app) as running:  # the lifespan starts it
        assert running.get("/readyz").status_code == 200
    assert client.get("/readyz").status_code == 503  # and stopping it ends readiness
    runtime.db.dispose()


def test_an_attempt_that_raises_anything_is_a_failed_attempt(
    fast: Settings, smtp_server: SmtpTestServer
) -> None:
    """F4: an unexpected error inside the attempt: the synchronous send answers 202 (never
    500), the attempt is recorded, and the retry policy brings the message to an end."""
    with serving(fast) as (client, runtime):
        policy = {"maxAttempts": 2, "initialDelaySeconds": 0.2, "jitter": 0}
        add_connection(client, smtp_server, retryPolicy=policy)

        async def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("a bug")

        runtime.pool.deliver = broken  # type: ignore[method-assign]
        response = send(client, SEED)
        assert response.status_code == 202, response.text
        assert response.json()["status"] == "retrying"

        def failed() -> dict[str, Any] | None:
            message: dict[str, Any] = client.get(response.headers["location"]).json()
            return message if message["status"] == "failed" else None

        message = wait_until(failed, what="the message failed after its two attempts")
        assert [(a["outcome"], a["errorCode"]) for a in message["attempts"]] == [
            ("unknown", "internal_error")  # it broke inside the SMTP conversation
        ] * 2
        assert message["outcomeUnknown"] is True
        assert message["lastError"]["reason"] == "gave up after 2 attempts"
        assert len(smtp_server.messages) == 0


def test_a_non_ascii_ehlo_name_is_refused_at_create(client: TestClient) -> None:
    body = {"name": "x", "server": "127.0.0.1", "port": 25, "clientHostname": "hôst.example.com"}
    response = client.post("/v1/connections", json=body)
    assert response.status_code == 400
    [problem] = response.json()["errors"]
    assert problem["field"] == "clientHostname"
    assert client.get("/v1/connections/x").status_code == 404
    fine = {**body, "clientHostname": "xn--hst-tna.example.com"}
    assert client.post("/v1/connections", json=fine).status_code == 201
    literal = {**body, "name": "y", "clientHostname": "[IPv6:2001:db8::1]"}
    assert client.post("/v1/connections", json=literal).status_code == 201


def test_a_stored_non_ascii_ehlo_name_fails_the_message_for_good(
    client: TestClient, runtime: Runtime, smtp_server: SmtpTestServer
) -> None:
    """A connection saved before the rule: the attempt is a permanent failure, not a crash."""
    runtime.connections.create(
        Connection(
            name="old",
            server=smtp_server.host,
            port=smtp_server.port,
            security=Security.NONE,
            client_hostname="hôst.example.com",
        ),
        None,
    )
    response = send(client, SEED, connection="old")
    assert response.status_code == 502, response.text
    assert (response.json()["title"], response.json()["retryable"]) == ("Delivery failed", False)
    message = client.get(f"/v1/messages/{response.json()['id']}").json()
    assert message["status"] == "failed"
    assert message["lastError"]["code"] == "invalid_input"


def test_an_unpaced_message_is_not_held_up_by_a_paced_backlog(
    fast: Settings, smtp_server_factory: ServerFactory
) -> None:
    """F8: 2,000 messages wait on a connection paced at one per 2 s; a message on another
    connection goes out while the paced one has sent at most a couple."""
    paced_server, free_server = smtp_server_factory(), smtp_server_factory()
    with serving(fast) as (client, _):
        add_connection(
            client, paced_server, name="paced", rateLimit={"messages": 1, "perSeconds": 2}
        )
        add_connection(client, free_server, name="free")
        for chunk in range(2):
            batch = [{**SEED, "Subject": f"paced {chunk}-{i}"} for i in range(1000)]
            response = client.post("/v1/connections/paced/send-batch", json=batch)
            assert response.status_code == 202
        accepted = client.post(
            "/v1/connections/free/send", json=SEED, headers={"Prefer": "respond-async"}
        )
        assert accepted.status_code == 202
        free_server.wait_for_messages(1, timeout=30)
        assert len(paced_server.messages) <= 3


def test_retention_reaches_the_worker_that_serve_runs(fast: Settings) -> None:
    """F7: RETENTION_DAYS, through the same wiring as ``serve`` (create_app with a worker)."""
    settings = fast.model_copy(update={"retention_days": 1})
    runtime = open_runtime(settings)
    old = compose(
        Email(sender=Address("a@example.com"), to=(Address("b@example.com"),), subject="old")
    )
    now = datetime.now(UTC)
    [stale] = runtime.outbox.enqueue("gone", [old], now=now - timedelta(days=3))
    runtime.outbox.cancel(stale, now=now - timedelta(days=2))
    [fresh] = runtime.outbox.enqueue("gone", [old])
    runtime.outbox.cancel(fresh)
    runtime.db.dispose()

    with serving(settings) as (client, _):
        wait_until(
            lambda: client.get(f"/v1/messages/{stale}").status_code == 404,
            what="the two-day-old cancelled message purged",
        )
        assert client.get(f"/v1/messages/{fresh}").json()["status"] == "cancelled"
