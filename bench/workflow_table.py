"""The workflow rows of bench_all's report: runs per second beside n8n's documented figure.

n8n's documentation ("Measure performance", in its scaling section) says one n8n instance
handles up to 220 workflow executions per second; its example is a Webhook trigger and an Edit
Fields node on a c5a.large (2 vCPU, 4 GB), n8n in main mode on PostgreSQL. That figure is
quoted, never measured here; the aim of our issue is at least twice it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

N8N_RUNS_PER_SECOND = 220.0
AIM_RUNS_PER_SECOND = 2 * N8N_RUNS_PER_SECOND
ENGINES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
LABELS = {
    "workflow_email": "Request -> Compose -> Send Email",
    "workflow_response": "Request -> Response",
}
HEADERS = [
    "workflow case",
    "engine",
    "runs/s",
    "vs n8n 220/s",
    "trigger answers/s",
    "answer p50 / p99 ms",
    "run p50 / p99 ms",
    "serve CPU ms/run",
]


def _number(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _pair(found: dict[str, Any] | None) -> str:
    if not found or found.get("p50") is None:
        return "-"
    return f"{found['p50']:,.0f} / {found['p99']:,.0f}"


def _documented() -> Iterator[list[str]]:
    blank = ["-"] * (len(HEADERS) - 4)
    yield [
        "n8n, one instance, webhook + Edit Fields (documented, not measured here)",
        "-",
        _number(N8N_RUNS_PER_SECOND),
        "1.00x",
        *blank,
    ]
    yield ["aim: twice n8n's documented figure", "-", _number(AIM_RUNS_PER_SECOND), "2.00x", *blank]


def workflow_rows(report: dict[str, Any]) -> list[list[str]]:
    """The documented anchor and the aim, then each measured case per engine; empty when no
    engine ran the workflow part."""
    measured: list[list[str]] = []
    clients, runs = report["parameters"]["clients"], report["parameters"].get("workflow_runs", 0)
    for run in report["engines"]:
        engine = ENGINES.get(run["engine"], run["engine"])
        for case, label in LABELS.items():
            result = run.get("workflows", {}).get(case)
            if result is None:
                continue
            label = f"{label}, {runs:,} runs, {clients} clients"
            if "error" in result:
                measured.append([label, engine, "error (see below)", *["-"] * 5])
                continue
            rate = result.get("runs_per_second")
            shown = _number(rate) if rate is not None else "failed (see below)"
            ratio = "-" if rate is None else f"{rate / N8N_RUNS_PER_SECOND:.2f}x"
            measured.append(
                [
                    label,
                    engine,
                    shown,
                    ratio,
                    _number(result.get("answers_per_second")),
                    _pair(result.get("latency_ms")),
                    _pair(result.get("run_ms")),
                    _number(result.get("serve_cpu_ms_per_run"), 1),
                ]
            )
    return [*_documented(), *measured] if measured else []


def workflow_notes(report: dict[str, Any]) -> Iterator[str]:
    """What went wrong in a workflow case: its error, or its failures and a failed run's error."""
    for run in report["engines"]:
        engine = ENGINES.get(run["engine"], run["engine"])
        for case, result in run.get("workflows", {}).items():
            if "error" in result:
                yield f"{engine} {case}: {result['error']}"
            elif result.get("failures"):
                yield (
                    f"{engine} {case}: {result['failures']}; run statuses {result['statuses']};"
                    f" a failed run: {result.get('sample_failure')};"
                    f" other answers: {result.get('unexpected_answers')}"
                )


WORKFLOW_NOTE = (
    "runs/s: Send Email, from the first request until the sink counted the last email;"
    " Response, the answers per second; a rate only when every run was listed Succeeded."
    " n8n's 220/s is quoted from its documentation (2 vCPU, 4 GB, PostgreSQL), not measured in"
    " this run."
)
