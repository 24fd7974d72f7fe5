"""A NUL character in a name, an id or a filter is "not found" or a 400, never a 500.

PostgreSQL refuses NUL in a query (a DataError, which was a 500); no stored name or id can hold
one, so the API answers without asking the database.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from support.api import SEED
from support.db import ENGINES

NOT_FOUND = [
    ("GET", "/v1/connections/a%00b"),
    ("PATCH", "/v1/connections/a%00b"),
    ("DELETE", "/v1/connections/a%00b"),
    ("POST", "/v1/connections/a%00b/test"),
    ("POST", "/v1/connections/a%00b/send"),
    ("DELETE", "/v1/keys/key_%00"),
    ("GET", "/v1/messages/msg_%00"),
    ("POST", "/v1/messages/msg_%00/retry"),
    ("POST", "/v1/messages/msg_%00/cancel"),
]


@pytest.mark.parametrize("database_url", ENGINES, indirect=True)
@pytest.mark.parametrize(("method", "url"), NOT_FOUND)
def test_a_nul_in_a_path_is_not_found(client: TestClient, method: str, url: str) -> None:
    body = {"port": 25} if method == "PATCH" else SEED if url.endswith("/send") else None
    response = client.request(method, url, json=body)
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("database_url", ENGINES, indirect=True)
def test_a_nul_in_the_connection_filter_is_a_400(client: TestClient) -> None:
    response = client.get("/v1/messages", params={"connection": "a\x00b"})
    assert response.status_code == 400, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["connection"]
