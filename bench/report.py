"""The table bench_http.py prints from its JSON report: one row per measured case."""

from __future__ import annotations

from typing import Any, TextIO

COLUMNS = (
    ("case", 50),
    ("n", 7),
    ("answers/s", 11),
    ("p50 ms", 9),
    ("p99 ms", 9),
    ("delivered/s", 13),
    ("vs naive", 10),
)
CASES = (
    ("healthz", "GET /healthz (HTTP ceiling)"),
    ("async", "send, Prefer: respond-async (202)"),
    ("sync", "send, synchronous (200)"),
)


def _row(name: str, values: list[float | None], naive: float) -> str:
    """``values``: n, answers/s, p50, p99, delivered/s; the ratio to the naive rate follows."""
    delivered = values[-1]
    ratio = "-" if delivered is None else f"{delivered / naive:.2f}x"
    numbers = ["-" if v is None else f"{v:,.0f}" for v in values]
    cells = [f"{name:<{COLUMNS[0][1]}}"]
    widths = [width for _, width in COLUMNS[1:]]
    cells += [f"{text:>{width}}" for text, width in zip([*numbers, ratio], widths, strict=True)]
    return "".join(cells)


def print_table(report: dict[str, Any], out: TextIO) -> None:
    """Write the run's header lines and table to ``out``."""
    machine = report["machine"]
    message = report["message"]
    counted = sorted({run["counted_at"] for run in report["runs"]})
    print(
        f"bench_http {report['date']}, {machine['cpus']} CPUs; sink: {report['sink']}; "
        f"delivered counted at the {' and '.join(counted) or 'sink'}; load average"
        f" {report['load_average_before']:.1f} before, {report['load_average_after']:.1f} after",
        file=out,
    )
    print(
        f"message: HTML {message['html_chars']:,} chars in {message['paragraphs']} paragraphs"
        f" + {message['attachment']:,}-byte attachment ({report['request_bytes']:,}-byte"
        f" request); {report['parameters']['clients']} clients",
        file=out,
    )
    (first, width), *rest = COLUMNS
    print(f"{first:<{width}}" + "".join(f"{title:>{w}}" for title, w in rest), file=out)
    naive = report["naive"]["per_second"]
    name = "naive: smtplib + EmailMessage, new connection each"
    print(_row(name, [report["naive"]["messages"], None, None, None, naive], naive), file=out)
    for run in report["runs"]:
        for key, label in CASES:
            case = run[key]
            values = [
                case["requests"],
                case["answers_per_second"],
                case["latency_ms"]["p50"],
                case["latency_ms"]["p99"],
                case["delivered_per_second"],
            ]
            print(_row(f"{run['engine']}: {label}", values, naive), file=out)
        for key, _ in CASES:
            case = run[key]
            expected = "202" if key == "async" else "200"
            others = {k: v for k, v in case["statuses"].items() if k != expected}
            if others:
                print(f"  {run['engine']} {key}: other answers {others}", file=out)
            if case["timed_out"]:
                answered = case["statuses"].get(expected, 0)
                note = f"timed out: {answered} answered {expected}, {case['delivered']} delivered"
                print(f"  {run['engine']} {key}: {note}", file=out)
    naive_run = report["naive"]
    if naive_run["sink_received"] != naive_run["messages"]:
        print(f"  naive: the sink received {naive_run['sink_received']}", file=out)
