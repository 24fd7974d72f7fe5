"""bench_all.py's tables from its JSON report: plain text for the terminal, Markdown for a README.

Throughput rows give messages per second (delivered: when the sink has them) with a ratio to
each peer measured in the same run; the memory rows give resident memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TextIO

from peers import NAMES, SHORT
from workflow_table import HEADERS, WORKFLOW_NOTE, workflow_notes, workflow_rows

ENGINES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _labels(report: dict[str, Any]) -> dict[str, str]:
    """Case name -> row label, from the run's parameters."""
    p = report["parameters"]
    workers = p["drain_workers"]
    drain = f"delivery engine: {p['drain_messages']:,} queued, {workers} worker process"
    labels = {"drain": drain + ("es" if workers > 1 else "")}
    labels |= {f"async_{c}": f"HTTP async send, {c} clients" for c in p["async_clients"]}
    labels["batch"] = f"HTTP send-batch of {p['batch_size']}, {p['batch_clients']} clients"
    labels["sync"] = f"HTTP sync send, {p['clients']} clients"
    size = p["large_bytes"] / 1e6
    labels["large"] = f"HTTP async send, {size:g} MB attachment, {p['clients']} clients"
    labels["healthz"] = f"GET /healthz, {p['clients']} clients (HTTP ceiling)"
    return labels


def _peer_rates(report: dict[str, Any]) -> dict[str, float | None]:
    return {name: peer.get("per_second") for name, peer in report["peers"].items()}


def _ratios(rate: float | None, peers: dict[str, float | None]) -> list[str]:
    return ["-" if rate is None or not base else f"{rate / base:.2f}x" for base in peers.values()]


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _latency(case: dict[str, Any]) -> str:
    latency = case.get("latency_ms")
    if not latency or latency["p50"] is None:
        return "-"
    return f"{latency['p50']:,.0f} / {latency['p99']:,.0f}"


def rows(report: dict[str, Any]) -> Iterator[list[str]]:
    """Throughput rows: case, engine, delivered/s, one ratio per peer, accepted/s, p50 / p99 ms."""
    peers = _peer_rates(report)
    for name, peer in report["peers"].items():
        rate = peer.get("per_second")
        shown = _number(rate) if rate is not None else f"skipped: {peer.get('skipped')}"
        yield ["peer: " + NAMES[name], "-", shown, *_ratios(rate, peers), "-", "-"]
    labels = _labels(report)
    for run in report["engines"]:
        engine = ENGINES.get(run["engine"], run["engine"])
        measured = {**run.get("http", {}), **run.get("drain", {})}
        for name, label in labels.items():
            case = measured.get(name)
            if case is None:
                continue
            rate = case.get("delivered_per_second")
            if case.get("timed_out"):
                label += f" (unfinished: {case.get('delivered', 0):,} delivered)"
            accepted = _number(case.get("accepted_per_second"))
            delivered = _number(rate) if name != "healthz" else "-"
            cells = [label, engine, delivered, *_ratios(rate, peers), accepted, _latency(case)]
            if name == "healthz":
                cells[-2] = _number(case.get("requests_per_second"))
            yield cells


def memory_rows(report: dict[str, Any]) -> Iterator[list[str]]:
    """Memory rows: what, engine, figure."""
    p = report["parameters"]
    for run in report["engines"]:
        engine = ENGINES.get(run["engine"], run["engine"])
        memory = run.get("http", {}).get("memory")
        if memory and memory.get("accepted_messages") == 1 and memory["growth_mb"] is not None:
            size = memory["attachment_bytes"] / 1e6
            figure = (
                f"+{memory['growth_mb']:,.0f} MB = {memory['growth_per_attachment']:.1f}x the"
                f" attachment (peak {memory['peak_rss_mb']:,.0f} MB, {memory['peak_from']})"
            )
            yield [f"serve's peak RSS growth, one {size:g} MB attachment (sync)", engine, figure]
        backlog = run.get("drain", {}).get("backlog")
        if backlog:
            fill = run["drain"].get("backlog_fill", {})
            figure = (
                f"max {_number(backlog['worker_peak_rss_mb'])} MB; drained at"
                f" {_number(backlog['delivered_per_second'])}/s, filled at"
                f" {_number(fill.get('accepted_per_second'))}/s"
            )
            if backlog["timed_out"]:
                figure += f" (unfinished: {backlog['delivered']:,} delivered)"
            what = f"worker RSS draining a backlog of {p['backlog']:,}"
            yield [what, engine, figure]


def notes(report: dict[str, Any]) -> Iterator[str]:
    """What a reader must know besides the figures: errors, answers other than 200 and 202,
    messages a peer sent that the sink did not count."""
    for name, peer in report["peers"].items():
        if "sink_received" in peer and peer["sink_received"] != peer["messages"]:
            yield f"{SHORT[name]}: the sink received {peer['sink_received']:,}"
    for run in report["engines"]:
        engine = ENGINES.get(run["engine"], run["engine"])
        for name, case in run.get("http", {}).items():
            if "error" in case:
                yield f"{engine} {name}: {case['error']}"
                continue
            others = {k: v for k, v in case.get("statuses", {}).items() if k not in ("200", "202")}
            if others and name != "healthz":
                yield f"{engine} {name}: other answers {others} {case['unexpected_answers']}"
        for error in run.get("errors", []):
            yield f"{engine}: {error}"
    yield from workflow_notes(report)


def _headers(report: dict[str, Any]) -> list[str]:
    vs = [f"vs {SHORT[name]}" for name in report["peers"]]
    return ["case", "engine", "delivered/s", *vs, "accepted/s", "p50 / p99 ms"]


def title(report: dict[str, Any]) -> str:
    machine, message = report["machine"], report["message"]
    commit = report.get("code", {}).get("commit")
    if commit and report["code"].get("dirty"):
        commit += "+changes"
    return (
        f"bench_all {report['date']}{f' at {commit}' if commit else ''}"
        f" ({'quick' if report['parameters']['quick'] else 'full'} run"
        f"{', workflows only' if report['parameters'].get('only_workflows') else ''},"
        f" {report.get('duration_seconds', 0) / 60:.0f} min), {machine['cpus']} CPUs,"
        f" load average {report['load_average_before']:.1f} before,"
        f" {report.get('load_average_after', 0):.1f} after; sink: {report['sink']}; message:"
        f" HTML {message['html_chars']:,} chars in {message['paragraphs']} paragraphs +"
        f" {message['attachment']:,}-byte attachment"
    )


def _aligned(table: list[list[str]], right_from: int, out: TextIO) -> None:
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        cells = [cell.ljust(width) for cell, width in zip(row[:right_from], widths, strict=False)]
        cells += [
            cell.rjust(width)
            for cell, width in zip(row[right_from:], widths[right_from:], strict=True)
        ]
        print("  ".join(cells), file=out)


def print_text(report: dict[str, Any], out: TextIO) -> None:
    """The title, the throughput table, the memory rows and the workflow table as aligned
    text."""
    print(title(report), file=out)
    throughput = list(rows(report))
    if throughput:
        _aligned([_headers(report), *throughput], 2, out)
    for what, engine, figure in memory_rows(report):
        print(f"{what} ({engine}): {figure}", file=out)
    workflows = workflow_rows(report)
    if workflows:
        print(file=out)
        _aligned([HEADERS, *workflows], 2, out)
        print(WORKFLOW_NOTE, file=out)
    for line in notes(report):
        print(line, file=out)


def _markdown(table: list[list[str]], right_from: int) -> Iterator[str]:
    yield "| " + " | ".join(table[0]) + " |"
    align = ["---" if i < right_from else "---:" for i in range(len(table[0]))]
    yield "|" + "|".join(align) + "|"
    for row in table[1:]:
        yield "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"


def print_markdown(report: dict[str, Any], out: TextIO) -> None:
    """The same tables in Markdown, with the run's date and machine above them."""
    print(title(report) + "\n", file=out)
    throughput = list(rows(report))
    if throughput:
        for line in _markdown([_headers(report), *throughput], 2):
            print(line, file=out)
    memory = list(memory_rows(report))
    if memory:
        print(file=out)
        for line in _markdown([["memory", "engine", "figure"], *memory], 3):
            print(line, file=out)
    workflows = workflow_rows(report)
    if workflows:
        print(file=out)
        for line in _markdown([HEADERS, *workflows], 2):
            print(line, file=out)
        print(f"\n{WORKFLOW_NOTE}", file=out)
    found = list(notes(report))
    if found:
        print(file=out)
    for line in found:
        print(f"- {line}", file=out)
