"""The workflow run engine and the scheduler survive a database that stops answering them,
and ``/readyz`` says so meanwhile."""

from __future__ import annotations

from typing import Any

import pytest

from smtp_connector.config import Settings
from support.api import add_connection, serving
from support.db import ENGINES
from support.faults import Outage
from support.smtp_server import SmtpTestServer
from support.waiting import wait_until
from support.workflows import callback_path, finished_run, put, seed_workflow

pytestmark = pytest.mark.parametrize("database_url", ENGINES, indirect=True)
LEAD = {"Name": "Jane Doe", "Company": "Contoso", "Email": "jane@example.com"}


@pytest.fixture
def fast(settings: Settings) -> Settings:
    return settings.model_copy(update={"poll_seconds": 0.05})


def test_a_run_engine_that_cannot_take_runs_keeps_trying_and_readyz_says_so(
    fast: Settings, smtp_server: SmtpTestServer
) -> None:
    with serving(fast) as (client, runtime):
        add_connection(client, smtp_server)
        put(client, "new-lead", seed_workflow())
        assert client.get("/readyz").status_code == 200
        outage = Outage(runtime.runs.claim)
        runtime.runs.claim = outage  # type: ignore[method-assign]
        wait_until(lambda: outage.failures >= 3, what="three failed claims")

        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["code"] == "workflows_unavailable"
        assert "run engine cannot take runs" in ready.json()["detail"]
        assert "connection refused" in ready.json()["detail"]
        called = client.post(
            callback_path(client, "new-lead"), json=LEAD, headers={"Authorization": ""}
        )
        assert called.status_code == 202  # the process that fired it runs it meanwhile

        outage.down = False
        run = finished_run(client, "new-lead", called.headers["x-ms-workflow-run-id"])
        assert run["status"] == "Succeeded"
        wait_until(lambda: client.get("/readyz").status_code == 200, what="ready again")


def test_a_scheduler_that_cannot_fire_keeps_trying_and_readyz_says_so(
    fast: Settings, smtp_server: SmtpTestServer
) -> None:
    with serving(fast) as (client, runtime):
        add_connection(client, smtp_server)
        scheduler: Any = wait_until(lambda: runtime.workflows.scheduler, what="the scheduler")
        outage = Outage(scheduler._tick)
        scheduler._tick = outage
        wait_until(lambda: outage.failures >= 2, timeout=20, what="two failed turns")

        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["code"] == "workflows_unavailable"
        assert "scheduler cannot fire scheduled triggers" in ready.json()["detail"]

        outage.down = False
        document = seed_workflow()
        document["definition"]["triggers"] = {
            "Recurrence": {
                "type": "Recurrence",
                "recurrence": {"frequency": "Second", "interval": 1},
            }
        }
        body = document["definition"]["actions"]["Send_an_email_(V3)"]["inputs"]["body"]
        body.update(To="ops@example.com", Subject="Tick")
        put(client, "ticker", document)
        wait_until(lambda: smtp_server.messages, timeout=30, what="a tick's email")
        wait_until(lambda: client.get("/readyz").status_code == 200, what="ready again")
