"""Workflows through the real ``serve`` in a subprocess, with the settings a user gets: the seed's
walkthrough with a Request trigger, and ``kill -9`` in the middle of 200 runs."""

from __future__ import annotations

import collections
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from smtp_connector.config import Settings
from support.db import ENGINES
from support.processes import Process, clean_env, start_serve
from support.smtp_server import Faults, SmtpTestServer
from support.waiting import wait_until
from support.workflows import FINISHED, seed_workflow

ADMIN = "workflow-admin-key"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
RUNS = 200
RECOVERY_SECONDS = 90  # the killed process's leases last 30 s by default


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return clean_env(
        SMTP_CONNECTOR_DATABASE_URL=database_url,
        SMTP_CONNECTOR_DATA_DIR=str(tmp_path / "data"),
        SMTP_CONNECTOR_SECRET_KEY="workflow-secret",
        SMTP_CONNECTOR_ADMIN_API_KEY=ADMIN,
    )


def _setup(api: str, server: SmtpTestServer) -> str:
    """The SMTP connection, the seed workflow, and its callback URL."""
    connection = {"name": "mail", "server": server.host, "port": server.port, "security": "none"}
    made = httpx.post(f"{api}/v1/connections", json=connection, headers=AUTH, timeout=10)
    assert made.status_code == 201, made.text
    saved = httpx.put(f"{api}/v1/workflows/new-lead", json=seed_workflow(), headers=AUTH)
    assert saved.status_code == 201, saved.text
    url = httpx.post(
        f"{api}/v1/workflows/new-lead/triggers/manual/listCallbackUrl", headers=AUTH, timeout=10
    )
    assert url.status_code == 200, url.text
    value: str = url.json()["value"]
    assert value.startswith(api + "/v1/workflows/new-lead/triggers/manual/invoke?")
    return value


def _lead(i: int) -> dict[str, str]:
    return {"Name": f"Lead {i}", "Company": f"Company {i}", "Email": f"lead{i}@example.com"}


def _runs(api: str) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = []
    url: str | None = f"{api}/v1/workflows/new-lead/runs?top=250"
    while url:
        page = httpx.get(url, headers=AUTH, timeout=10).json()
        runs.extend(page["value"])
        url = page.get("nextLink")
    return runs


def test_a_lead_posted_to_serve_becomes_an_email(
    tmp_path: Path, env: dict[str, str], processes: list[Process], smtp_server: SmtpTestServer
) -> None:
    api = start_serve(tmp_path, env, "--no-inbox")
    processes.append(api)
    callback = _setup(api.base, smtp_server)

    called = httpx.post(callback, json=_lead(1), timeout=10)  # no API key: the URL is signed

    assert called.status_code == 202, called.text
    run_id = called.headers["x-ms-workflow-run-id"]
    message = wait_until(lambda: smtp_server.messages, what="the email").pop()
    assert message.message["Subject"] == "New lead: Lead 1 (Company 1)"
    assert message.rcpt_tos == ("lead1@example.com",)
    run = wait_until(
        lambda: (
            (
                r := httpx.get(
                    f"{api.base}/v1/workflows/new-lead/runs/{run_id}", headers=AUTH
                ).json()
            )["status"]
            in FINISHED
            and r
        ),
        what="the run finishing",
    )
    assert run["status"] == "Succeeded"
    path = urlsplit(callback)
    tampered = f"{api.base}{path.path}?{path.query.replace('sig=', 'sig=0')}"
    assert httpx.post(tampered, json=_lead(2), timeout=10).status_code == 401
    assert api.terminate() == 0


@pytest.mark.parametrize("database_url", ENGINES, indirect=True)
def test_kill_9_in_the_middle_of_200_runs_finishes_every_run_once(
    tmp_path: Path,
    env: dict[str, str],
    processes: list[Process],
    smtp_server_factory: Any,
) -> None:
    server: SmtpTestServer = smtp_server_factory(faults=Faults(accept_slowly=0.05))
    first = start_serve(tmp_path, env, "--no-inbox", name="serve1")
    processes.append(first)
    callback = _setup(first.base, server)
    with httpx.Client(timeout=30) as client:
        run_ids = [
            client.post(callback, json=_lead(i)).headers["x-ms-workflow-run-id"]
            for i in range(RUNS)
        ]
    wait_until(lambda: len(server.messages) >= 20, timeout=60, what="the first emails")
    first.kill9()
    assert len(server.messages) < RUNS, "the kill did not land in the middle of the runs"

    second = start_serve(tmp_path, env, "--no-inbox", name="serve2")
    processes.append(second)
    wait_until(
        lambda: (
            all(r["status"] in FINISHED for r in _runs(second.base))
            and len(_runs(second.base)) == RUNS
        ),
        timeout=RECOVERY_SECONDS,
        every=1.0,
        what="every run finished after the restart",
    )
    runs = {r["name"]: r for r in _runs(second.base)}
    assert set(runs) == set(run_ids)
    assert {r["status"] for r in runs.values()} == {"Succeeded"}
    sent_by_run: dict[str, str] = {}
    outbox_by_run: dict[str, tuple[str, str]] = {}
    for run_id in run_ids:
        records = httpx.get(
            f"{second.base}/v1/workflows/new-lead/runs/{run_id}/actions", headers=AUTH
        ).json()["value"]
        [send] = records
        assert send["status"] == "Succeeded" and send["outputs"]["statusCode"] in (200, 202)
        sent_by_run[run_id] = send["outputs"]["body"]["messageId"]
        outbox_by_run[run_id] = (send["outputs"]["body"]["id"], sent_by_run[run_id])
    # One message per run (the action's idempotency key), every one delivered.
    assert len(set(sent_by_run.values())) == RUNS
    wait_until(
        lambda: (
            {str(m.message["Message-ID"]) for m in server.messages} >= set(sent_by_run.values())
        ),
        timeout=RECOVERY_SECONDS,
        what="every run's email delivered",
    )
    copies = collections.Counter(str(m.message["Message-ID"]) for m in server.messages)
    assert set(copies) == set(sent_by_run.values())
    subjects = {str(m.message["Subject"]) for m in server.messages}
    assert subjects == {f"New lead: Lead {i} (Company {i})" for i in range(RUNS)}
    # A message the server took while the killed process had not recorded it (its 250 unread,
    # or the outcome not yet committed) is sent again, and the outbox says so.
    outbox_ids = {message_id: outbox for outbox, message_id in outbox_by_run.values()}
    twice = [message_id for message_id, count in copies.items() if count > 1]
    assert len(twice) <= Settings().worker_concurrency
    for message_id in twice:
        message = httpx.get(
            f"{second.base}/v1/messages/{outbox_ids[message_id]}", headers=AUTH
        ).json()
        assert message["outcomeUnknown"] is True, message
    assert second.terminate() == 0
