"""Terminate ends the run where it stands: nothing after it runs, not even the rest of a loop,
and the containers around it are recorded as Cancelled rather than left Running (as the
IllogicApps simulator reproduces the runtime)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from smtp_connector.config import Settings
from support.api import add_connection, serving
from support.db import ENGINES
from support.smtp_server import SmtpTestServer
from support.workflow_samples import code_view
from support.workflows import callback_path, finished_run

pytestmark = pytest.mark.parametrize("database_url", ENGINES, indirect=True)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with serving(settings) as (client, _runtime):
        yield client


def _send(subject: str) -> dict[str, Any]:
    return {
        "type": "ApiConnection",
        "inputs": {
            "host": {"connection": {"name": "@parameters('$connections')['smtp']['connectionId']"}},
            "method": "post",
            "path": "/SendEmailV3",
            "body": {"From": "a@example.com", "To": "b@example.com", "Subject": subject},
        },
        "runAfter": {"Stop_at_two": ["Succeeded"]},
    }


def _where(record: dict[str, Any]) -> tuple[str, int | None]:
    """An action record's name and loop index (``None`` outside a loop)."""
    indexes = record.get("repetitionIndexes") or []
    return record["name"], indexes[0]["itemIndex"] if indexes else None


def test_terminate_in_a_loop_stops_the_loop_and_the_run(
    client: TestClient, smtp_server: SmtpTestServer
) -> None:
    add_connection(client, smtp_server)
    loop = {
        "Stop_at_two": {
            "type": "If",
            "expression": "@equals(item(), 2)",
            "actions": {"Stop": {"type": "Terminate", "inputs": {"runStatus": "Cancelled"}}},
            "else": {"actions": {}},
        },
        "Send_an_email_(V3)": _send("Item @{item()}"),
    }
    actions = {
        "For_each": {
            "type": "Foreach",
            "foreach": "@createArray(1, 2, 3, 4)",
            "operationOptions": "Sequential",
            "actions": loop,
        },
        "After_the_loop": {
            "type": "Compose",
            "inputs": "done",
            "runAfter": {"For_each": ["Succeeded", "Failed", "Skipped", "TimedOut"]},
        },
    }
    triggers = {"manual": {"type": "Request", "kind": "Http"}}
    saved = client.put("/v1/workflows/stop", json=code_view(triggers, actions, {"smtp": "mail"}))
    assert saved.status_code == 201, saved.text

    called = client.post(callback_path(client, "stop"), json={})
    run = finished_run(client, "stop", called.headers["x-ms-workflow-run-id"])

    assert (run["status"], run["code"]) == ("Cancelled", "Terminated")
    assert [str(m.message["Subject"]) for m in smtp_server.messages] == ["Item 1"]
    records = client.get(f"/v1/workflows/stop/runs/{run['name']}/actions").json()["value"]
    statuses = {_where(r): r["status"] for r in records}
    assert ("Stop_at_two", 2) not in statuses and ("Stop_at_two", 3) not in statuses
    assert statuses[("After_the_loop", None)] == "Skipped"  # nothing ran after Terminate
    after = next(r for r in records if r["name"] == "After_the_loop")
    assert after["code"] == "Terminated"
    assert not {"Running", "Waiting"} & set(statuses.values()), records
    assert statuses[("For_each", None)] == "Cancelled"
    assert statuses[("Stop_at_two", 1)] == "Cancelled"
    assert statuses[("Stop", 1)] == "Succeeded"


def test_terminate_in_a_catch_scope_records_the_scope(client: TestClient) -> None:
    actions = {
        "Try": {
            "type": "Scope",
            "actions": {"Divide": {"type": "Compose", "inputs": "@div(1, 0)"}},
        },
        "Catch": {
            "type": "Scope",
            "runAfter": {"Try": ["FAILED", "TIMEDOUT"]},
            "actions": {
                "Terminate": {
                    "type": "Terminate",
                    "inputs": {
                        "runStatus": "Failed",
                        "runError": {"code": "DivideFailed", "message": "could not divide"},
                    },
                }
            },
        },
    }
    triggers = {"manual": {"type": "Request", "kind": "Http"}}
    assert client.put("/v1/workflows/catch", json=code_view(triggers, actions)).status_code == 201

    called = client.post(callback_path(client, "catch"), json={})
    run = finished_run(client, "catch", called.headers["x-ms-workflow-run-id"])

    assert (run["status"], run["error"]) == (
        "Failed",
        {"code": "DivideFailed", "message": "could not divide"},
    )
    records = client.get(f"/v1/workflows/catch/runs/{run['name']}/actions").json()["value"]
    statuses = {r["name"]: r["status"] for r in records}
    assert statuses == {
        "Divide": "Failed",
        "Try": "Failed",
        "Terminate": "Succeeded",
        "Catch": "Cancelled",
    }
