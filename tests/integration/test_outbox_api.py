"""The outbox over HTTP: 202 and Location, statuses and attempts, retries, idempotency, batch,
call limits and delivery rate, against the in-process SMTP server and a real database."""

from __future__ import annotations

import itertools
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from smtp_connector.runtime import Runtime
from smtp_connector.store.models import MessageRow
from support.api import SEED, ServerFactory, add_connection, send
from support.db import ENGINES
from support.smtp_server import Faults, SmtpTestServer
from support.waiting import wait_until

ASYNC = {"Prefer": "respond-async"}
FAST_RETRY = {"maxAttempts": 3, "initialDelaySeconds": 0.05, "multiplier": 1, "jitter": 0}


def _status(client: TestClient, location: str) -> dict[str, Any]:
    response = client.get(location)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _final(client: TestClient, location: str, timeout: float = 10.0) -> dict[str, Any]:
    return wait_until(
        lambda: (m := _status(client, location))["status"] in ("sent", "failed") and m,
        timeout=timeout,
        what=f"a final status for {location}",
    )


def _rows(client: TestClient) -> int:
    runtime: Runtime = client.app.state.services  # type: ignore[attr-defined]
    with runtime.db.session() as session:
        return session.scalar(select(func.count()).select_from(MessageRow)) or 0


@pytest.mark.parametrize("database_url", ENGINES, indirect=True)
def test_respond_async_is_202_and_a_worker_delivers(
    worker_client: TestClient, smtp_server: SmtpTestServer
) -> None:
    add_connection(worker_client, smtp_server)
    response = send_async(worker_client, SEED)
    assert response.status_code == 202, response.text
    location = response.headers["location"]
    assert location == f"/v1/messages/{response.json()['id']}"
    assert int(response.headers["retry-after"]) > 0
    message = _final(worker_client, location)
    assert message["status"] == "sent"
    assert message["accepted"] == ["recipient1@example.com", "recipient2@example.com"]
    assert message["attempts"][0]["outcome"] == "sent"
    assert message["attempts"][0]["smtpCode"] == 250
    [received] = smtp_server.messages
    assert received.message["Message-ID"] == message["messageId"] == response.json()["messageId"]


def send_async(client: TestClient, payload: object, **headers: str) -> Any:
    return client.post("/v1/connections/mail/send", json=payload, headers={**ASYNC, **headers})


def test_sync_send_is_committed_with_an_id(client: TestClient, smtp_server: SmtpTestServer) -> None:
    add_connection(client, smtp_server)
    response = send(client, SEED)
    assert response.status_code == 200
    answer = response.json()
    stored = _status(client, f"/v1/messages/{answer['id']}")
    assert stored["status"] == "sent"
    assert stored["attemptCount"] == 1
    assert stored["messageId"] == answer["messageId"]


def test_transient_failure_is_202_then_retried_with_the_same_message_id(
    worker_client: TestClient, smtp_server_factory: ServerFactory
) -> None:
    server = smtp_server_factory(faults=Faults(data_end_reply="451 4.3.0 Try later"))
    add_connection(worker_client, server, retryPolicy=FAST_RETRY)
    response = send(worker_client, SEED)
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "retrying"
    location = response.headers["location"]
    server.faults.data_end_reply = None
    message = _final(worker_client, location)
    assert message["status"] == "sent"
    assert message["attemptCount"] >= 2
    assert message["attempts"][0]["outcome"] == "transient"
    assert message["attempts"][0]["smtpCode"] == 451
    ids = {m.message["Message-ID"] for m in server.messages}
    assert ids == {message["messageId"]}


def test_permanent_failure_fails_at_once_and_can_be_retried_by_hand(
    worker_client: TestClient, smtp_server_factory: ServerFactory
) -> None:
    server = smtp_server_factory(faults=Faults(data_end_reply="554 5.7.1 Rejected"))
    add_connection(worker_client, server, retryPolicy=FAST_RETRY)
    response = send(worker_client, SEED)
    assert response.status_code == 502
    problem = response.json()
    assert problem["smtpCode"] == 554 and problem["retryable"] is False
    location = f"/v1/messages/{problem['id']}"
    failed = _status(worker_client, location)
    assert failed["status"] == "failed"
    assert failed["lastError"]["smtpCode"] == 554
    assert failed["attemptCount"] == 1

    server.faults.data_end_reply = None
    retried = worker_client.post(f"{location}/retry")
    assert retried.status_code == 200
    assert _final(worker_client, location)["status"] == "sent"
    assert worker_client.post(f"{location}/retry").status_code == 409


def test_retries_stop_after_max_attempts(
    worker_client: TestClient, smtp_server_factory: ServerFactory
) -> None:
    server = smtp_server_factory(faults=Faults(rcpt_reply="451 4.3.0 Greylisted"))
    add_connection(worker_client, server, retryPolicy=FAST_RETRY)
    location = send_async(worker_client, SEED).headers["location"]
    message = _final(worker_client, location)
    assert message["status"] == "failed"
    assert message["attemptCount"] == 3
    assert [a["outcome"] for a in message["attempts"]] == ["transient"] * 3
    assert server.messages == []


def test_cancel_a_queued_message(client: TestClient, smtp_server: SmtpTestServer) -> None:
    add_connection(client, smtp_server)
    location = send_async(client, SEED).headers["location"]  # no worker runs here
    cancelled = client.post(f"{location}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert client.post(f"{location}/cancel").status_code == 409
    assert client.get("/v1/messages/msg_nope").status_code == 404
    assert smtp_server.messages == []


def test_list_filters_and_cursor_pagination(
    client: TestClient, smtp_server: SmtpTestServer
) -> None:
    add_connection(client, smtp_server)
    ids = [send_async(client, {**SEED, "Subject": f"n{i}"}).json()["id"] for i in range(7)]
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 3, "status": "queued", "connection": "mail"}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/messages", params=params).json()
        seen += [m["id"] for m in page["messages"]]
        cursor = page["nextCursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))
    assert client.get("/v1/messages", params={"status": "sent"}).json()["messages"] == []
    assert client.get("/v1/messages", params={"status": "bogus"}).status_code == 400


@pytest.mark.parametrize("database_url", ENGINES, indirect=True)
def test_idempotency_key_replays_and_never_sends_twice(
    client: TestClient, smtp_server: SmtpTestServer
) -> None:
    add_connection(client, smtp_server)
    headers = {"Idempotency-Key": "order-42"}
    first = client.post("/v1/connections/mail/send", json=SEED, headers=headers)
    again = client.post("/v1/connections/mail/send", json=SEED, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    other = client.post(
        "/v1/connections/mail/send", json={**SEED, "Subject": "changed"}, headers=headers
    )
    assert other.status_code == 409
    assert len(smtp_server.messages) == 1
    assert _rows(client) == 1


@pytest.mark.parametrize("database_url", ENGINES, indirect=True)
def test_concurrent_duplicates_send_once(client: TestClient, smtp_server: SmtpTestServer) -> None:
    add_connection(client, smtp_server)
    answers: list[int] = []

    def post() -> None:
        answers.append(send_async(client, SEED, **{"Idempotency-Key": "same"}).status_code)

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert answers == [202] * 8  # the first answer, saved with the key when it committed
    assert _rows(client) == 1


def test_batch_commits_the_valid_ones_and_reports_each(
    worker_client: TestClient, smtp_server: SmtpTestServer
) -> None:
    add_connection(worker_client, smtp_server)
    batch = [
        {**SEED, "Subject": "one"},
        {**SEED, "To": "not an address"},
        {**SEED, "Subject": "three"},
    ]
    response = worker_client.post("/v1/connections/mail/send-batch", json={"messages": batch})
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["queued"], body["rejected"]) == (2, 1)
    assert body["items"][1]["problem"]["errors"][0]["field"] == "To"
    for item in (body["items"][0], body["items"][2]):
        assert _final(worker_client, item["location"])["status"] == "sent"
    assert sorted(m.message["Subject"] for m in smtp_server.messages) == ["one", "three"]


def test_batch_limits(client: TestClient, smtp_server: SmtpTestServer) -> None:
    add_connection(client, smtp_server)
    too_many = client.post("/v1/connections/mail/send-batch", json=[SEED] * 1001)
    assert too_many.status_code == 400
    all_bad = client.post("/v1/connections/mail/send-batch", json=[{**SEED, "To": ""}])
    assert all_bad.status_code == 400
    assert _rows(client) == 0


def test_call_limit_is_429_and_queues_nothing(
    client: TestClient, smtp_server: SmtpTestServer
) -> None:
    add_connection(client, smtp_server, callLimit={"calls": 3, "perSeconds": 60})
    statuses = [send_async(client, SEED).status_code for _ in range(4)]
    assert statuses == [202, 202, 202, 429]
    limited = send_async(client, SEED)
    assert 0 < int(limited.headers["retry-after"]) <= 60
    assert limited.json()["code"] == "rate_limited"
    assert _rows(client) == 3


def test_delivery_rate_is_never_exceeded(
    worker_client: TestClient, smtp_server: SmtpTestServer
) -> None:
    add_connection(worker_client, smtp_server, rateLimit={"messages": 5, "perSeconds": 1})
    batch = [{**SEED, "Subject": f"r{i}"} for i in range(8)]
    assert worker_client.post("/v1/connections/mail/send-batch", json=batch).status_code == 202
    received = smtp_server.wait_for_messages(8, timeout=15)
    assert len(received) == 8
    times = sorted(m.received_at for m in received)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # 5 per second, evenly spaced: no burst (a burst gives gaps near 0; the bound leaves room
    # for a busy machine's scheduling, so the test does not turn on timing).
    assert min(gaps) >= 0.1, gaps


def test_metrics_count_what_happened(client: TestClient, smtp_server: SmtpTestServer) -> None:
    add_connection(client, smtp_server)
    send(client, SEED)
    send_async(client, SEED)
    text = client.get("/metrics").text
    assert 'smtp_connector_queue_messages{status="queued"} 1.0' in text
    assert 'smtp_connector_queue_messages{status="sent"} 1.0' in text
    assert "smtp_connector_messages_accepted_total" in text
    assert "smtp_connector_delivery_seconds_bucket" in text


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_recipients_refused_with_4xx_get_a_follow_up_with_the_same_message_id(
    worker_client: TestClient, smtp_server_factory: ServerFactory
) -> None:
    server = smtp_server_factory(
        faults=Faults(rcpt_replies={"grey@example.com": "451 4.7.1 Greylisted, try later"})
    )
    add_connection(worker_client, server, retryPolicy=FAST_RETRY)
    payload = {**SEED, "To": "one@example.com;grey@example.com;two@example.com"}
    response = send(worker_client, payload)
    assert response.status_code == 200
    answer = response.json()
    assert answer["accepted"] == ["one@example.com", "two@example.com"]
    follow_up = answer["rejected"]["grey@example.com"]["retriedAs"]
    stored = _status(worker_client, f"/v1/messages/{answer['id']}")
    assert stored["rejected"]["grey@example.com"]["retriedAs"] == follow_up

    server.faults.rcpt_replies = {}
    retried = _final(worker_client, f"/v1/messages/{follow_up}")
    assert retried["status"] == "sent"
    assert retried["recipients"] == ["grey@example.com"]
    first, second = server.messages
    assert first.rcpt_tos == ("one@example.com", "two@example.com")
    assert second.rcpt_tos == ("grey@example.com",)
    assert first.message["Message-ID"] == second.message["Message-ID"] == answer["messageId"]


def test_permanent_refusals_get_no_follow_up(
    client: TestClient, smtp_server_factory: ServerFactory
) -> None:
    server = smtp_server_factory(faults=Faults(rcpt_replies={"gone@example.com": "550 5.1.1 No"}))
    add_connection(client, server)
    answer = send(client, {**SEED, "To": "one@example.com;gone@example.com"}).json()
    assert "retriedAs" not in answer["rejected"]["gone@example.com"]
    assert _rows(client) == 1
