"""Two ``serve`` processes on one PostgreSQL database, with the settings a user gets: callback
calls spread over both run once each and send one email each; a Recurrence every second fires
each tick once although both processes run the scheduler."""

from __future__ import annotations

import collections
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from support.processes import Process, clean_env, start_serve
from support.smtp_server import SmtpTestServer
from support.waiting import wait_until
from support.workflow_samples import recurrence_email
from support.workflows import FINISHED, seed_workflow, tick_steps, whole_seconds

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

ADMIN = "scale-out-admin-key"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
NAMES = ("serve1", "serve2")
CALLS = 60
TICKING_SECONDS = 10


@pytest.fixture
def serves(
    database_url: str, tmp_path: Path, processes: list[Process], smtp_server: SmtpTestServer
) -> Iterator[list[Process]]:
    """Both processes, started on the same database and key, with the SMTP connection made."""
    started = []
    for name in NAMES:
        env = clean_env(
            SMTP_CONNECTOR_DATABASE_URL=database_url,
            SMTP_CONNECTOR_DATA_DIR=str(tmp_path / f"data-{name}"),
            SMTP_CONNECTOR_SECRET_KEY="scale-out-secret",
            SMTP_CONNECTOR_ADMIN_API_KEY=ADMIN,
            SMTP_CONNECTOR_WORKER_NAME=name,
        )
        started.append(start_serve(tmp_path, env, "--no-inbox", name=name))
        processes.append(started[-1])
    connection = {
        "name": "mail",
        "server": smtp_server.host,
        "port": smtp_server.port,
        "security": "none",
    }
    made = httpx.post(f"{started[0].base}/v1/connections", json=connection, headers=AUTH)
    assert made.status_code == 201, made.text
    yield started
    for proc in started:
        assert proc.terminate() == 0, proc.output()


def _all(api: str, path: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    url: str | None = f"{api}{path}?top=250"
    while url:
        page = httpx.get(url, headers=AUTH, timeout=10).json()
        found.extend(page["value"])
        url = page.get("nextLink")
    return found


def _finished_runs(api: str, workflow: str, count: int) -> dict[str, dict[str, Any]]:
    def probe() -> dict[str, dict[str, Any]] | None:
        runs = {r["name"]: r for r in _all(api, f"/v1/workflows/{workflow}/runs")}
        done = len(runs) == count and all(r["status"] in FINISHED for r in runs.values())
        return runs if done else None

    return wait_until(probe, timeout=60, every=0.5, what=f"{count} runs of {workflow} finished")


def _sends(api: str, workflow: str, runs: dict[str, Any]) -> dict[str, str]:
    """Message-ID of each run's email, from its Send Email action's outputs."""
    sent: dict[str, str] = {}
    for run_id in runs:
        records = httpx.get(
            f"{api}/v1/workflows/{workflow}/runs/{run_id}/actions", headers=AUTH, timeout=10
        ).json()["value"]
        [send] = records
        assert send["status"] == "Succeeded", send
        assert send["outputs"]["statusCode"] == 200, send
        sent[run_id] = send["outputs"]["body"]["messageId"]
    return sent


def _senders(database_url: str) -> collections.Counter[str]:
    """Emails sent per process, from the outbox's attempts (the worker name comes first)."""
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        workers = conn.execute(text("SELECT worker FROM attempts WHERE outcome = 'sent'")).all()
    engine.dispose()
    return collections.Counter(str(worker).split(":")[0] for (worker,) in workers)


def test_callback_calls_spread_over_two_processes_run_once_each(
    serves: list[Process], smtp_server: SmtpTestServer, database_url: str
) -> None:
    first, second = serves
    saved = httpx.put(f"{first.base}/v1/workflows/new-lead", json=seed_workflow(), headers=AUTH)
    assert saved.status_code == 201, saved.text
    urls = [
        httpx.post(
            f"{proc.base}/v1/workflows/new-lead/triggers/manual/listCallbackUrl", headers=AUTH
        ).json()["value"]
        for proc in serves
    ]
    assert urls[0].startswith(first.base) and urls[1].startswith(second.base)

    run_ids: dict[str, int] = {}
    with httpx.Client(timeout=30) as client:
        for i in range(CALLS):
            lead = {"Name": f"Lead {i}", "Company": f"Company {i}", "Email": f"lead{i}@example.com"}
            called = client.post(urls[i % 2], json=lead)
            assert called.status_code == 202, called.text
            run_ids[called.headers["x-ms-workflow-run-id"]] = i

    runs = _finished_runs(second.base, "new-lead", CALLS)
    assert set(runs) == set(run_ids)
    assert {(r["status"], r["attempts"]) for r in runs.values()} == {("Succeeded", 1)}
    sent = _sends(first.base, "new-lead", runs)
    assert len(set(sent.values())) == CALLS
    wait_until(lambda: len(smtp_server.messages) >= CALLS, timeout=30, what="every email")
    copies = collections.Counter(str(m.message["Message-ID"]) for m in smtp_server.messages)
    assert copies == collections.Counter(sent.values()), "not exactly one email per run"
    by_id = {str(m.message["Message-ID"]): m for m in smtp_server.messages}
    for run_id, i in run_ids.items():
        email = by_id[sent[run_id]]
        assert str(email.message["Subject"]) == f"New lead: Lead {i} (Company {i})"
        assert email.rcpt_tos == (f"lead{i}@example.com",)
    assert _senders(database_url) == {"serve1": CALLS // 2, "serve2": CALLS // 2}


def test_a_recurrence_fires_each_tick_once_with_two_schedulers(
    serves: list[Process], smtp_server: SmtpTestServer, database_url: str
) -> None:
    first, second = serves
    document = recurrence_email("mail", "ops@example.com", "Tick")
    saved = httpx.put(f"{first.base}/v1/workflows/ticker", json=document, headers=AUTH)
    assert saved.status_code == 201, saved.text
    saved_at = time.monotonic()

    histories = f"{second.base}/v1/workflows/ticker/triggers/Recurrence/histories?top=250"
    wait_until(
        lambda: len(httpx.get(histories, headers=AUTH).json()["value"]) >= TICKING_SECONDS,
        timeout=3 * TICKING_SECONDS,
        every=0.5,
        what=f"{TICKING_SECONDS} ticks",
    )
    disabled = httpx.post(f"{second.base}/v1/workflows/ticker/disable", headers=AUTH)
    assert disabled.json()["state"] == "Disabled"
    elapsed = time.monotonic() - saved_at

    history = httpx.get(histories, headers=AUTH).json()["value"]
    runs = _finished_runs(first.base, "ticker", len(history))
    scheduled = [h["scheduledTime"] for h in history]
    assert len(set(scheduled)) == len(scheduled), "a tick fired twice"
    assert all(h["fired"] and len(h["runs"]) == 1 for h in history)
    assert sorted(h["runs"][0] for h in history) == sorted(runs)
    assert {r["status"] for r in runs.values()} == {"Succeeded"}
    for entry in history:
        assert runs[entry["runs"][0]]["trigger"]["scheduledTime"] == entry["scheduledTime"]
    steps = tick_steps(scheduled)
    assert whole_seconds(steps), scheduled
    # Close to one tick per second (a tick missed by both processes is dropped, not replayed).
    assert 0.75 * elapsed - 1 <= len(history) <= elapsed + 1, (len(history), elapsed, steps)

    sent = _sends(first.base, "ticker", runs)
    wait_until(lambda: len(smtp_server.messages) >= len(runs), timeout=30, what="every email")
    copies = collections.Counter(str(m.message["Message-ID"]) for m in smtp_server.messages)
    assert copies == collections.Counter(sent.values()), "not exactly one email per run"
    assert sorted(str(m.message["Subject"]) for m in smtp_server.messages) == sorted(
        f"Tick {t}" for t in scheduled
    )
    # Each tick's run (and email) belongs to the process that fired it; which one wins a
    # tick is a race, so only the total is certain.
    senders = _senders(database_url)
    assert set(senders) <= set(NAMES) and sum(senders.values()) == len(runs), senders
