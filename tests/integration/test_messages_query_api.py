"""``GET /v1/messages`` query values: a time or cursor the API cannot use is a field-level 400.

Times near year 1 or year 9999 parse, but fall outside the years 1-9999 once moved to UTC; the
answer names the field instead of failing with a 500.
"""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient

from support.db import ENGINES


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize("database_url", ENGINES, indirect=True)
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("since=9999-12-31T23:00:00-05:00", "since"),
        ("until=0001-01-01T00:30:00%2B01:00", "until"),
        ("since=10000-01-01T00:00:00Z", "since"),
        ("until=yesterday", "until"),
        ("cursor=" + _cursor("9999-12-31T23:00:00-05:00|msg_x"), "cursor"),
        ("cursor=" + _cursor("0001-01-01T00:30:00+01:00|msg_x"), "cursor"),
        ("cursor=" + _cursor("2026-01-01T00:00:00+00:00|msg\x00x"), "cursor"),
        ("cursor=%FF%FE", "cursor"),
    ],
)
def test_unusable_times_and_cursors_are_a_400_naming_the_field(
    client: TestClient, query: str, field: str
) -> None:
    response = client.get(f"/v1/messages?{query}")
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]


@pytest.mark.parametrize("database_url", ENGINES, indirect=True)
def test_the_extremes_that_fit_in_utc_are_accepted(client: TestClient) -> None:
    earliest, latest = "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z"
    response = client.get("/v1/messages", params={"since": earliest, "until": latest})
    assert response.status_code == 200, response.text
    assert response.json() == {"messages": [], "nextCursor": None}
