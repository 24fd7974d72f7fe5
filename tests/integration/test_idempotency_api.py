"""Idempotency keys over HTTP: a repeat is answered before anything else is looked at, a key
whose first request has no saved answer is answered from its message (never 409 for a day),
and send-batch honours the header."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient

from support.api import SEED, add_connection
from support.db import ENGINES
from support.smtp_server import Faults, SmtpTestServer

pytestmark = pytest.mark.parametrize("database_url", ENGINES, indirect=True)

ASYNC = {"Prefer": "respond-async"}


def post(client: TestClient, key: str, body: object = SEED, **headers: str) -> Any:
    return client.post(
        "/v1/connections/mail/send", json=body, headers={"Idempotency-Key": key, **headers}
    )


def test_a_repeat_while_the_first_request_still_waits_is_answered_from_the_message(
    client: TestClient, smtp_server_factory: Any
) -> None:
    server: SmtpTestServer = smtp_server_factory(faults=Faults(accept_slowly=3))
    add_connection(client, server, timeoutSeconds=10)
    first: list[Any] = []
    waiting = threading.Thread(target=lambda: first.append(post(client, "k-slow")))
    waiting.start()
    server.wait_for_messages(1, timeout=10)  # the first request's attempt is under way

    repeat = post(client, "k-slow")

    assert repeat.status_code == 202, repeat.text
    assert repeat.headers["idempotent-replayed"] == "true"
    assert repeat.json()["status"] == "sending"
    waiting.join(timeout=30)
    assert first[0].status_code == 200
    assert repeat.headers["location"] == f"/v1/messages/{first[0].json()['id']}"
    again = post(client, "k-slow")  # the first answer is saved now: replayed as it was
    assert (again.status_code, again.json()) == (200, first[0].json())
    assert len(server.messages) == 1


def test_a_repeat_is_not_refused_by_the_call_limit_nor_by_a_later_edit(
    client: TestClient, smtp_server: SmtpTestServer
) -> None:
    add_connection(client, smtp_server, callLimit={"calls": 1, "perSeconds": 3600})
    first = post(client, "k-limit", **ASYNC)
    assert first.status_code == 202
    assert post(client, "k-other", **ASYNC).status_code == 429  # the limit is real
    client.patch("/v1/connections/mail", json={"allowedSenders": ["@elsewhere.example"]})

    repeat = post(client, "k-limit", **ASYNC)

    assert repeat.status_code == 202, repeat.text
    assert repeat.json() == first.json()
    assert repeat.headers["location"] == first.headers["location"]


def test_send_batch_honours_the_idempotency_key(
    client: TestClient, smtp_server: SmtpTestServer
) -> None:
    add_connection(client, smtp_server)
    batch = {"messages": [{**SEED, "Subject": "one"}, {**SEED, "To": "nobody"}]}
    headers = {"Idempotency-Key": "b-1"}

    first = client.post("/v1/connections/mail/send-batch", json=batch, headers=headers)
    repeat = client.post("/v1/connections/mail/send-batch", json=batch, headers=headers)
    other = client.post(
        "/v1/connections/mail/send-batch", json={"messages": [SEED]}, headers=headers
    )

    assert first.status_code == repeat.status_code == 202
    assert repeat.json() == first.json()
    assert repeat.headers["idempotent-replayed"] == "true"
    assert other.status_code == 409
    assert client.get("/v1/messages").json()["messages"][0]["id"] == first.json()["items"][0]["id"]
    assert len(client.get("/v1/messages").json()["messages"]) == 1
