"""Retention: finished runs and trigger history entries older than the cutoff are deleted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from smtp_connector.config import Settings
from smtp_connector.runtime import Runtime
from support.api import add_connection, serving
from support.db import ENGINES
from support.smtp_server import SmtpTestServer
from support.workflows import callback_path, finished_run, put, seed_workflow

pytestmark = pytest.mark.parametrize("database_url", ENGINES, indirect=True)
LEAD = {"Name": "Jane Doe", "Company": "Contoso", "Email": "jane@example.com"}


@pytest.fixture
def app(settings: Settings) -> Iterator[tuple[TestClient, Runtime]]:
    with serving(settings) as served:
        yield served


def test_old_runs_and_history_entries_are_purged_and_newer_ones_kept(
    app: tuple[TestClient, Runtime], smtp_server: SmtpTestServer
) -> None:
    client, runtime = app
    add_connection(client, smtp_server)
    put(client, "new-lead", seed_workflow())
    callback = callback_path(client, "new-lead")
    for _ in range(2):
        called = client.post(callback, json=LEAD, headers={"Authorization": ""})
        finished_run(client, "new-lead", called.headers["x-ms-workflow-run-id"])
    histories = "/v1/workflows/new-lead/triggers/manual/histories"

    assert runtime.runs.purge(datetime.now(UTC) - timedelta(days=1)) == 0
    assert len(client.get("/v1/workflows/new-lead/runs").json()["value"]) == 2
    assert len(client.get(histories).json()["value"]) == 2

    assert runtime.runs.purge(datetime.now(UTC) + timedelta(seconds=1)) == 2
    assert client.get("/v1/workflows/new-lead/runs").json()["value"] == []
    assert client.get(histories).json()["value"] == []
