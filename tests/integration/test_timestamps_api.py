"""Every time in every answer is RFC 3339 in UTC with a ``Z``, on SQLite and on PostgreSQL.

The test walks the JSON answers of keys, connections, sending, the outbox (with attempts) and
the local inbox, and checks every member that holds a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from smtp_connector.inbox import Inbox
from support.api import SEED
from support.db import ENGINES

RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
LOOKS_LIKE_A_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
EXPECTED = {
    "createdAt",
    "updatedAt",
    "revokedAt",
    "nextAttemptAt",
    "sentAt",
    "startedAt",
    "finishedAt",
    "receivedAt",
}


def _times(value: object, key: str = "") -> Iterator[tuple[str, object]]:
    """Every ``(member name, value)`` that is a time: named ``...At`` or shaped like one."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _times(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _times(item, key)
    elif key.endswith("At") or (isinstance(value, str) and LOOKS_LIKE_A_TIME.match(value)):
        yield key, value


def _answers(api: TestClient, inbox: Inbox) -> Iterator[tuple[str, Any]]:
    def call(method: str, url: str, status: int, **kwargs: Any) -> Any:
        response = api.request(method, url, **kwargs)
        assert response.status_code == status, (url, response.text)
        return response.json()

    connection = {"name": "mail", "server": inbox.host, "port": inbox.port, "security": "none"}
    yield "create connection", call("POST", "/v1/connections", 201, json=connection)
    yield "list connections", call("GET", "/v1/connections", 200)
    yield "get connection", call("GET", "/v1/connections/mail", 200)
    yield "patch connection", call("PATCH", "/v1/connections/mail", 200, json={"port": inbox.port})
    key = call("POST", "/v1/keys", 201, json={"name": "ci", "scope": "send"})
    yield "create key", key
    yield "revoke key", call("DELETE", f"/v1/keys/{key['id']}", 200)
    yield "list keys", call("GET", "/v1/keys", 200)
    sent = call("POST", "/v1/connections/mail/send", 200, json=SEED)
    yield "sent message", call("GET", f"/v1/messages/{sent['id']}", 200)
    async_headers = {"Prefer": "respond-async"}
    queued = call("POST", "/v1/connections/mail/send", 202, json=SEED, headers=async_headers)
    yield "cancel", call("POST", f"/v1/messages/{queued['id']}/cancel", 200)
    yield "retry", call("POST", f"/v1/messages/{queued['id']}/retry", 200)
    yield "list messages", call("GET", "/v1/messages", 200)
    yield "inbox", call("GET", "/v1/inbox", 200)


@pytest.mark.parametrize("database_url", ENGINES, indirect=True)
def test_every_time_in_every_answer_is_rfc3339_utc(api: TestClient, inbox: Inbox) -> None:
    seen: set[str] = set()
    for what, body in _answers(api, inbox):
        for name, value in _times(body):
            if value is None:
                continue
            assert isinstance(value, str) and RFC3339_UTC.match(value), (what, name, value)
            assert datetime.fromisoformat(value).utcoffset() is not None, (what, name, value)
            seen.add(name)
    assert seen == EXPECTED
