"""Definitions shaped like the public Logic Apps samples run unchanged through the real
``serve`` (one process for the module, SQLite, default settings) against the in-process SMTP
server: what the caller gets back, the run and action records a user reads, and the emails."""

from __future__ import annotations

import collections
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.processes import Process, clean_env, start_serve
from support.smtp_server import ReceivedMessage, SmtpTestServer
from support.waiting import wait_until
from support.workflow_samples import (
    ratings_totals,
    recurrence_compose,
    recurrence_email,
    request_response,
    try_catch,
    until_counter,
)
from support.workflows import FINISHED, tick_steps, whole_seconds

ADMIN = "samples-admin-key"


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpTestServer]:
    server = SmtpTestServer()
    server.start()
    yield server
    server.stop()
    assert not server.errors, f"the test SMTP server failed: {server.errors!r}"


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory, smtp: SmtpTestServer) -> Iterator[Process]:
    directory: Path = tmp_path_factory.mktemp("samples")
    env = clean_env(
        SMTP_CONNECTOR_DATA_DIR=str(directory / "data"),
        SMTP_CONNECTOR_SECRET_KEY="samples-secret",
        SMTP_CONNECTOR_ADMIN_API_KEY=ADMIN,
    )
    proc = start_serve(directory, env, "--no-inbox")
    try:
        connection = {"name": "mail", "server": smtp.host, "port": smtp.port, "security": "none"}
        made = httpx.post(
            f"{proc.base}/v1/connections",
            json=connection,
            headers={"Authorization": f"Bearer {ADMIN}"},
            timeout=10,
        )
        assert made.status_code == 201, made.text
        yield proc
        assert proc.terminate() == 0, proc.output()
    finally:
        if proc.process.poll() is None:
            proc.process.kill()
            proc.process.wait(timeout=10)


@pytest.fixture
def api(serve: Process) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {ADMIN}"}
    with httpx.Client(base_url=serve.base, headers=headers, timeout=30) as client:
        yield client


def _save(api: httpx.Client, name: str, document: dict[str, Any]) -> str:
    """Save the workflow; returns its Request trigger's callback URL (or "")."""
    saved = api.put(f"/v1/workflows/{name}", json=document)
    assert saved.status_code == 201, saved.text
    [(trigger, spec)] = document["definition"]["triggers"].items()
    if spec["type"].casefold() != "request":
        return ""
    url = api.post(f"/v1/workflows/{name}/triggers/{trigger}/listCallbackUrl")
    assert url.status_code == 200, url.text
    value: str = url.json()["value"]
    return value


def _call(url: str, body: Any) -> httpx.Response:
    """What a caller without any API key does: POST JSON to the signed URL."""
    return httpx.post(url, json=body, timeout=30)


def _run(api: httpx.Client, name: str, run_id: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        run: dict[str, Any] = api.get(f"/v1/workflows/{name}/runs/{run_id}").json()
        return run if run["status"] in FINISHED else None

    return wait_until(probe, timeout=20, what=f"run {run_id} of {name} finishing")


def _actions(api: httpx.Client, name: str, run_id: str) -> list[dict[str, Any]]:
    listed = api.get(f"/v1/workflows/{name}/runs/{run_id}/actions")
    assert listed.status_code == 200, listed.text
    records: list[dict[str, Any]] = listed.json()["value"]
    return records


def _by_name(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in records if "repetitionIndexes" not in r}


def test_request_trigger_answered_by_its_response_action(api: httpx.Client) -> None:
    document = request_response()
    url = _save(api, "request-response", document)
    saved = api.get("/v1/workflows/request-response").json()
    assert saved["definition"] == document["definition"]  # kept as pasted, lowercase and all

    answer = _call(url, {"name": "Ada", "quantity": 3})

    assert answer.status_code == 201, answer.text
    assert answer.headers["x-order-name"] == "Ada"
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {"greeting": "Hello Ada", "quantity": 3, "doubled": 6}
    run = _run(api, "request-response", answer.headers["x-ms-workflow-run-id"])
    assert run["status"] == "Succeeded"
    assert run["trigger"]["name"] == "When_a_HTTP_request_is_received"
    assert run["trigger"]["outputs"]["body"] == {"name": "Ada", "quantity": 3}
    [response] = _actions(api, "request-response", run["name"])
    assert (response["name"], response["status"]) == ("Response", "Succeeded")
    assert response["inputs"]["statusCode"] == 201
    assert response["inputs"]["body"]["greeting"] == "Hello Ada"

    refused = _call(url, {"name": "Ada", "quantity": "three"})  # the trigger's schema
    assert refused.status_code == 400
    assert "/body/quantity" in refused.text


def test_try_catch_scopes_answer_with_the_failed_action(api: httpx.Client) -> None:
    url = _save(api, "try-catch", try_catch())

    good = _call(url, {"name": "Ada", "quantity": "7"})
    bad = _call(url, {"name": "Bob", "quantity": "seven"})

    assert (good.status_code, good.json()) == (200, {"quantity": 7})
    assert bad.status_code == 500, bad.text
    assert bad.json()["failedAction"] == "Parse_quantity"
    assert "The template language function 'int'" in bad.json()["reason"]
    good_run = _run(api, "try-catch", good.headers["x-ms-workflow-run-id"])
    bad_run = _run(api, "try-catch", bad.headers["x-ms-workflow-run-id"])
    assert (good_run["status"], bad_run["status"]) == ("Succeeded", "Succeeded")  # handled
    good_actions = _by_name(_actions(api, "try-catch", good_run["name"]))
    assert good_actions["Try"]["status"] == "Succeeded"
    assert good_actions["Catch"]["status"] == "Skipped"
    assert good_actions["Catch"]["error"]["code"] == "ActionConditionFailed"
    actions = _by_name(_actions(api, "try-catch", bad_run["name"]))
    statuses = {name: record["status"] for name, record in actions.items()}
    assert statuses == {
        "Compose_order": "Succeeded",
        "Parse_quantity": "Failed",
        "Respond_accepted": "Skipped",
        "Try": "Failed",
        "Filter_failed_actions": "Succeeded",
        "Respond_failure": "Succeeded",
        "Catch": "Succeeded",
        "Finally": "Succeeded",
    }
    assert actions["Parse_quantity"]["error"]["code"] == "InvalidTemplate"
    assert actions["Try"]["error"]["message"] == "An action failed. No dependent actions succeeded."
    [failure] = actions["Filter_failed_actions"]["outputs"]["body"]
    assert (failure["name"], failure["status"]) == ("Parse_quantity", "Failed")
    assert actions["Finally"]["outputs"] == f"{bad_run['name']} done"


def test_until_counts_a_variable_up_to_the_limit(api: httpx.Client) -> None:
    url = _save(api, "until", until_counter(count_limit=10))

    five = _call(url, {"limit": 5})
    capped = _call(url, {"limit": 50})

    assert (five.status_code, five.json()) == (200, {"count": 5})
    assert (capped.status_code, capped.json()) == (200, {"count": 10})  # limit.count
    run = _run(api, "until", five.headers["x-ms-workflow-run-id"])
    assert run["status"] == "Succeeded"
    records = _actions(api, "until", run["name"])
    increments = [r for r in records if r["name"] == "Increment_counter"]
    assert [r["repetitionIndexes"] for r in increments] == [
        [{"scopeName": "Until_limit_reached", "itemIndex": i}] for i in range(5)
    ]
    assert [r["outputs"]["body"]["value"] for r in increments] == [1, 2, 3, 4, 5]
    assert _by_name(records)["Until_limit_reached"]["status"] == "Succeeded"


def test_foreach_with_array_and_integer_variables(api: httpx.Client) -> None:
    url = _save(api, "ratings", ratings_totals())
    ratings = [
        {"productId": "p1", "rating": 4, "userName": "ann"},
        {"productId": "p2", "rating": 5, "userName": "ben"},
        {"productId": "p3", "rating": 2},
    ]

    answer = _call(url, {"value": ratings})

    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "records": 3,
        "total": 11,
        "labels": "p1: 4 stars, p2: 5 stars, p3: 2 stars",
    }
    run = _run(api, "ratings", answer.headers["x-ms-workflow-run-id"])
    assert run["status"] == "Succeeded"
    records = _actions(api, "ratings", run["name"])
    composed = [r for r in records if r["name"] == "Compose_updatedRating"]
    assert [r["repetitionIndexes"] for r in composed] == [
        [{"scopeName": "For_each_record", "itemIndex": i}] for i in range(3)
    ]
    assert [r["outputs"]["userName"] for r in composed] == ["ann", "ben", None]
    totals = [r["outputs"]["body"]["value"] for r in records if r["name"] == "Add_rating_to_total"]
    assert totals == [4, 9, 11]  # one repetition at a time, in order
    assert _by_name(records)["Select_labels"]["outputs"]["body"] == [
        "p1: 4 stars",
        "p2: 5 stars",
        "p3: 2 stars",
    ]

    empty = _call(url, {"value": []})
    assert empty.json() == {"records": 0, "total": 0, "labels": ""}


def _all(api: httpx.Client, path: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    url: str | None = f"{path}?top=250"
    while url:
        page = api.get(url).json()
        found.extend(page["value"])
        url = page.get("nextLink")
    return found


def _histories(api: httpx.Client, name: str) -> list[dict[str, Any]]:
    answer = api.get(f"/v1/workflows/{name}/triggers/Recurrence/histories?top=250")
    assert answer.status_code == 200, answer.text
    entries: list[dict[str, Any]] = answer.json()["value"]
    return entries


def _ticks(smtp: SmtpTestServer) -> list[ReceivedMessage]:
    return [m for m in smtp.messages if str(m.message["Subject"]).startswith("Tick ")]


def test_a_recurrence_emails_once_per_tick_until_disabled(
    api: httpx.Client, smtp: SmtpTestServer
) -> None:
    _save(api, "clock", recurrence_compose())  # shows the scheduler ticking on
    _save(api, "ticker", recurrence_email("mail", "ops@example.com", "Tick"))

    wait_until(lambda: len(_ticks(smtp)) >= 3, timeout=20, what="three ticks' emails")
    disabled = api.post("/v1/workflows/ticker/disable")
    assert disabled.json()["state"] == "Disabled"
    runs_when_disabled = {r["name"] for r in _all(api, "/v1/workflows/ticker/runs")}
    clock_then = len(_histories(api, "clock"))
    wait_until(
        lambda: len(_histories(api, "clock")) >= clock_then + 3,
        timeout=20,
        what="three more ticks of another workflow",
    )
    api.post("/v1/workflows/clock/disable")

    listed = _all(api, "/v1/workflows/ticker/runs")
    runs = {r["name"]: _run(api, "ticker", r["name"]) for r in listed}
    assert set(runs) == runs_when_disabled, "a disabled workflow fired"
    assert {r["status"] for r in runs.values()} == {"Succeeded"}
    history = _histories(api, "ticker")
    assert all(h["fired"] and h["status"] == "Succeeded" for h in history)
    assert sorted(r for h in history for r in h["runs"]) == sorted(runs)
    scheduled = [h["scheduledTime"] for h in history]
    assert len(set(scheduled)) == len(scheduled), "a tick fired twice"
    for entry in history:
        [run_id] = entry["runs"]
        assert runs[run_id]["trigger"]["scheduledTime"] == entry["scheduledTime"]
    assert whole_seconds(tick_steps(scheduled)), scheduled

    sent: dict[str, str] = {}
    for run_id in runs:
        [send] = _actions(api, "ticker", run_id)
        assert send["status"] == "Succeeded" and send["outputs"]["statusCode"] == 200
        scheduled_time = runs[run_id]["trigger"]["scheduledTime"]
        assert send["inputs"]["body"]["Subject"] == f"Tick {scheduled_time}"
        sent[send["outputs"]["body"]["messageId"]] = send["inputs"]["body"]["Subject"]
    emails = _ticks(smtp)
    copies = collections.Counter(str(m.message["Message-ID"]) for m in emails)
    assert copies == collections.Counter(set(sent)), "not exactly one email per run"
    assert sorted(str(m.message["Subject"]) for m in emails) == sorted(
        f"Tick {t}" for t in scheduled
    )
    assert {m.rcpt_tos for m in emails} == {("ops@example.com",)}
    assert {str(m.message["From"]) for m in emails} == {"scheduler@example.com"}
