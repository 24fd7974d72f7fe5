"""Workflow runs end to end: leads posted to a Request trigger's callback URL on a running
``serve`` (with its run engine and worker), counted when the sink has each email and when the
API lists every run as Succeeded.

Two workflows (``workflow_defs.py``): Request -> Compose -> Send Email (``workflow_email``), and
Request -> Response (``workflow_response``). Each is saved with ``PUT /v1/workflows/{name}``,
its callback URL taken from ``listCallbackUrl``, checked once by hand (the email's Subject, the
Response's body), warmed up, then fired ``n`` times from ``clients`` concurrent aiohttp clients
(no API key: the URL's signature is the credential). A case reports:

- ``runs_per_second``: with email, from the first request until the sink counted the last email;
  without, the Response answers per second (each one is a run that reached its Response);
- the trigger's answers per second (202 once the run is committed, or the Response's 200) and
  their latency p50 / p99, as the caller sees them;
- the runs' own duration (``startTime`` to ``endTime``) p50 / p99, and ``serve``'s CPU time per
  run;
- ``statuses``: every run's status from ``GET /v1/workflows/{name}/runs``. Any run not
  Succeeded, or any answer other than the expected one, is a failure: the case then reports
  ``failures`` and no rate.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from load import Load, run_load
from server import Serve
from sink import Sink
from workflow_defs import (
    EXPECTED_RESPONSE,
    EXPECTED_SUBJECT,
    LEAD,
    email_workflow,
    response_workflow,
)

PAGE = 250  # the API's largest page of runs
UNFINISHED = ("Running", "Waiting")
QUIET_SECONDS = 5.0
"""With no run unfinished, how long the sink may stay still before the wait gives up."""


@dataclass(frozen=True)
class Flow:
    """One workflow case: its saved name, its document, the answer a caller expects."""

    case: str
    name: str
    document: dict[str, Any]
    expect: int
    emails: bool


def flows(connection: str) -> list[Flow]:
    """Both cases, in the order they run."""
    return [
        Flow("workflow_email", "bench-email", email_workflow(connection), 202, True),
        Flow("workflow_response", "bench-response", response_workflow(), 200, False),
    ]


def _stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/PID/stat`` after the command name; None if unreadable."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time so far of ``pid`` and its child processes (``serve
    --workers N`` runs N children); None if unreadable."""
    fields = _stat(pid)
    if fields is None:
        return None
    ticks = int(fields[11]) + int(fields[12])
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (child := _stat(int(entry.name))) and child[1] == str(pid):
            ticks += int(child[11]) + int(child[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _post(url: str, body: object) -> tuple[int, dict[str, str], Any]:
    """POST JSON to a callback URL (no API key); (status, headers, decoded body or None)."""
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")  # noqa: S310
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310
            status, headers, raw = resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        status, headers, raw = exc.code, dict(exc.headers), exc.read()
    return status, headers, json.loads(raw) if raw else None


def _pages(serve: Serve, name: str, status: str | None = None) -> list[dict[str, Any]]:
    """Every run of ``name`` (with ``status`` only), following ``nextLink``."""
    path = f"/v1/workflows/{name}/runs?top={PAGE}" + (f"&status={status}" if status else "")
    runs: list[dict[str, Any]] = []
    while path:
        code, answer = serve.request("GET", path)
        if code != 200:
            raise RuntimeError(f"listing the runs of {name}: {code} {answer}")
        runs += answer["value"]
        link = answer.get("nextLink")
        path = "" if not link else f"{urlsplit(link).path}?{urlsplit(link).query}"
    return runs


def _unfinished(serve: Serve, name: str) -> bool:
    for status in UNFINISHED:
        code, answer = serve.request("GET", f"/v1/workflows/{name}/runs?top=1&status={status}")
        if code != 200 or answer["value"]:
            return True
    return False


def _percentiles(values: list[float]) -> dict[str, float | None]:
    ordered = sorted(values)
    if not ordered:
        return {"p50": None, "p99": None}
    at = {q: ordered[max(math.ceil(q * len(ordered)) - 1, 0)] for q in (0.5, 0.99)}
    return {"p50": at[0.5], "p99": at[0.99]}


def run_report(serve: Serve, name: str, newest: int) -> dict[str, Any]:
    """Every run's status, one error of a run not Succeeded, and the durations (ms) of the
    ``newest`` runs (the listing is newest first)."""
    runs = _pages(serve, name)
    durations = [
        (datetime.fromisoformat(r["endTime"]) - datetime.fromisoformat(r["startTime"])) * 1000
        for r in runs[:newest]
        if r.get("endTime") and r.get("startTime")
    ]
    failed = next((r for r in runs if r["status"] != "Succeeded"), None)
    return {
        "statuses": dict(Counter(r["status"] for r in runs)),
        "run_ms": _percentiles([d.total_seconds() for d in durations]),
        "sample_failure": None if failed is None else {k: failed.get(k) for k in ("code", "error")},
    }


def prepare(serve: Serve, flow: Flow, timeout: float) -> str:
    """Save ``flow``, fire it once by hand and check what it did; returns its callback URL.
    Raises RuntimeError when the workflow is refused or does not do what it should."""
    code, answer = serve.request("PUT", f"/v1/workflows/{flow.name}", flow.document)
    if code not in (200, 201):
        raise RuntimeError(f"saving {flow.name}: {code} {answer}")
    code, answer = serve.request(
        "POST", f"/v1/workflows/{flow.name}/triggers/manual/listCallbackUrl"
    )
    if code != 200:
        raise RuntimeError(f"listCallbackUrl of {flow.name}: {code} {answer}")
    url: str = answer["value"]
    status, headers, body = _post(url, LEAD)
    if status != flow.expect or (not flow.emails and body != EXPECTED_RESPONSE):
        raise RuntimeError(f"{flow.name} answered {status} {body}")
    run = headers.get("x-ms-workflow-run-id")
    deadline = time.monotonic() + timeout
    while _unfinished(serve, flow.name):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{flow.name}'s first run did not finish in {timeout} s")
        time.sleep(0.05)
    if flow.emails:
        _, actions = serve.request("GET", f"/v1/workflows/{flow.name}/runs/{run}/actions")
        sent = {a["name"]: a for a in actions["value"]}.get("Send_an_email_(V3)", {})
        subject = (sent.get("inputs") or {}).get("body", {}).get("Subject")
        if sent.get("status") != "Succeeded" or subject != EXPECTED_SUBJECT:
            raise RuntimeError(f"{flow.name}'s Send Email: {sent.get('status')} {subject!r}")
    return url


async def _wait_done(
    serve: Serve, sink: Sink, flow: Flow, target: int, timeout: float
) -> float | None:
    """Wait until the sink has ``target`` messages (``time.perf_counter()`` of the last), and no
    run is unfinished. None when the sink stays short: after ``timeout``, or once no run is
    unfinished and the sink has been still for QUIET_SECONDS (a run failed)."""
    deadline = time.monotonic() + timeout
    last_count, still_since, checked = sink.received, time.monotonic(), 0.0
    while flow.emails and sink.received < target:
        now = time.monotonic()
        if now > deadline:
            return None
        if sink.received != last_count:
            last_count, still_since = sink.received, now
        elif now - still_since > QUIET_SECONDS and now - checked > 1:
            checked = now
            if not _unfinished(serve, flow.name):
                return None
        await asyncio.sleep(0.02)
    at = sink.last_arrival
    while _unfinished(serve, flow.name):
        if time.monotonic() > deadline:
            return None
        await asyncio.sleep(0.05)
    return at


async def fire(flow: Flow, url: str, n: int, clients: int, timeout: float) -> Load:
    """``n`` leads from ``clients`` concurrent clients at ``url``."""
    return await run_load(
        "POST",
        url,
        requests=n,
        clients=clients,
        body=json.dumps(LEAD).encode(),
        headers={"Content-Type": "application/json"},
        expect=flow.expect,
        run_timeout=timeout,
    )


async def measure(
    serve: Serve, sink: Sink, flow: Flow, url: str, n: int, args: Any, fired_before: int
) -> dict[str, Any]:
    """Fire ``n`` runs and wait for them; ``fired_before`` runs of ``flow`` already exist (all
    Succeeded). Returns the case's result (``failures`` and no rate when any run failed)."""
    before, cpu_before = sink.received, cpu_seconds(serve.pid)
    load = await fire(flow, url, n, args.clients, args.timeout)
    answered = load.count(flow.expect)
    at = await _wait_done(serve, sink, flow, before + answered, args.timeout)
    cpu_after = cpu_seconds(serve.pid)
    seconds = max(load.finished - load.started, 1e-9)
    result: dict[str, Any] = {
        "runs": n,
        "clients": args.clients,
        "answers": dict(load.statuses),
        "answers_per_second": answered / seconds,
        "latency_ms": {"p50": load.percentile_ms(0.5), "p99": load.percentile_ms(0.99)},
        "unexpected_answers": load.sample,
        "emails_delivered": sink.received - before if flow.emails else None,
    }
    result |= run_report(serve, flow.name, n)
    end = at if flow.emails else load.finished
    if at is not None and cpu_before is not None and cpu_after is not None:
        result["serve_cpu_ms_per_run"] = (cpu_after - cpu_before) * 1000 / max(answered, 1)
    expected = fired_before + n
    failures: dict[str, Any] = {}
    if answered != n:
        failures["answers"] = {k: v for k, v in load.statuses.items() if k != str(flow.expect)}
    if result["statuses"] != {"Succeeded": expected}:
        failures["runs"] = f"expected {expected:,} Succeeded, listed {result['statuses']}"
    if flow.emails and result["emails_delivered"] != n:
        failures["emails"] = f"the sink counted {result['emails_delivered']:,} of {n:,}"
    if load.timed_out:
        failures["unfinished"] = f"the requests took over {args.timeout:g} s"
    elif at is None:
        waited = time.perf_counter() - load.finished
        failures["unfinished"] = (
            f"not done within {args.timeout:g} s"
            if waited >= args.timeout
            else "the sink stayed short once no run was unfinished"
        )
    result["failures"] = failures or None
    result["runs_per_second"] = None if failures or end is None else n / (end - load.started)
    return result


async def run_workflows(
    serve: Serve, sink: Sink, args: Any, note: Callable[[str], None]
) -> dict[str, Any]:
    """Both workflow cases on one ``serve`` whose sink connection is named ``sink``; results by
    case name (``{"error": ...}`` for a case that could not be set up)."""
    results: dict[str, Any] = {}
    for flow in flows("sink"):
        try:
            url = prepare(serve, flow, args.timeout)
            note(f"{flow.case}: warm-up of {args.warmup} runs")
            warm = await measure(serve, sink, flow, url, args.warmup, args, 1)
            if warm["failures"]:
                raise RuntimeError(f"warm-up: {warm['failures']} {warm['sample_failure']}")
            note(f"{flow.case}: {args.workflow_runs:,} runs from {args.clients} clients")
            results[flow.case] = await measure(
                serve, sink, flow, url, args.workflow_runs, args, 1 + args.warmup
            )
        except RuntimeError as exc:
            results[flow.case] = {"error": str(exc)}
            note(f"{flow.case}: {exc}")
            continue
        if results[flow.case]["failures"]:
            note(f"{flow.case}: failures {results[flow.case]['failures']}")
    return results
