"""The whole benchmark in one run: the peers, our delivery engine and our HTTP path, side by side.

    bench/run [--quick] [--database-url postgresql://USER@HOST/ADMIN_DB] [--markdown]
    python bench/bench_all.py --report bench/results/all-....json [--markdown]

``bench/run`` installs what is missing (the ``bench`` extra, Postfix's ``smtp-sink``, Nodemailer)
and runs this script. Into one ``smtp-sink`` on 127.0.0.1 and with the same message (an HTML
body of about 2 KB in 40 paragraphs and a 3 KB attachment), it measures:

- the peers (``peers.py``): naive ``smtplib`` + ``EmailMessage``, aiosmtplib on 16 connections,
  Nodemailer's pool of 5;
- for each engine (SQLite; PostgreSQL in a scratch database when ``--database-url`` is given),
  on a fresh ``smtp-connector serve``: the HTTP cases of ``http_cases.py`` (single async sends
  from 32 and 256 clients, ``send-batch``, synchronous sends, a 1 MB attachment, serve's peak
  memory around one 25 MB attachment), then on a ``serve --no-worker`` the delivery engine alone
  and a large backlog (``drain.py``), then on another fresh ``serve`` two workflows fired
  through their callback URLs (``workflow_cases.py``: Request -> Compose -> Send Email, and
  Request -> Response), beside n8n's documented 220 runs per second.

``--only-workflows`` runs the workflow part alone; ``--profile-workflows DIR`` profiles the Send
Email workflow on SQLite under py-spy (``workflow_profile.py``) and does nothing else.

Every count is bounded, every wait has a time limit (``--timeout`` per case,
``--backlog-timeout`` for the backlog), and every process started is stopped by its pid in a
``finally`` block (SIGTERM to this script too). Writes JSON to ``bench/results/`` and prints a
table of messages per second with a ratio to each peer (``--markdown``: also as Markdown).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from drain import drain, fill
from http_cases import run_http
from message import ATTACHMENT, HTML, SEND
from peers import run_peers
from server import Serve, connect_sink, engine_database, running_serve, setting
from sink import Sink, default_sink_path, start_sink
from table import print_markdown, print_text
from workflow_cases import run_workflows
from workflow_profile import profile_workflows

RESULTS = Path(__file__).resolve().parent / "results"
PRIVATE = ("database_url", "sink", "json", "report")  # may hold a password or a local path
SIZES = {  # option: (full run, --quick)
    "peer_messages": (3000, 300),
    "messages": (5000, 300),
    "batch_messages": (20000, 1000),
    "sync_messages": (1000, 100),
    "large_messages": (200, 20),
    "drain_messages": (20000, 1000),
    "backlog": (100000, 2000),
    "warmup": (64, 32),
    "workflow_runs": (5000, 300),
}
PARTS = ("memory", "healthz", "async", "batch", "sync", "large", "drain", "backlog", "workflows")
Note = Callable[[str], None]
NOTED_PACKAGES = ("smtp-connector", "uvicorn", "uvloop", "httptools", "sqlalchemy", "aiosmtplib")


def code() -> dict[str, Any]:
    """The commit measured (with ``dirty`` when the work tree differs from it) and the versions
    of the packages that set the pace (None: not installed)."""
    found: dict[str, Any] = {"commit": None, "dirty": None}
    here = Path(__file__).resolve().parent
    try:
        git = ["git", "-C", str(here)]
        head = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, timeout=10
        )
        status = subprocess.run([*git, "status", "--porcelain"], capture_output=True, timeout=10)
        if head.returncode == 0:
            found = {"commit": head.stdout.decode().strip(), "dirty": bool(status.stdout.strip())}
    except (OSError, subprocess.TimeoutExpired):
        pass
    versions: dict[str, str | None] = {}
    for name in NOTED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return found | {"packages": versions}


def _connect(serve: Serve, sink: Sink, extra: str) -> None:
    connect_sink(serve, sink.port, extra)


def _failed(exc: BaseException, log: Path | None, errors: list[str], note: Note) -> None:
    """Record an error of one part; a signal's SystemExit (an int code) goes on up."""
    if isinstance(exc, SystemExit) and not isinstance(exc.code, str):
        raise exc
    errors.append(f"{type(exc).__name__}: {exc}")
    note(f"failed: {errors[-1]}")
    if log is not None and log.exists():
        print(log.read_text(errors="replace")[-3000:], file=sys.stderr)


def http_part(engine: str, sink: Sink, args: argparse.Namespace, run: dict[str, Any]) -> None:
    """The HTTP cases on a fresh ``serve`` (with its worker)."""
    note = args.note
    with (
        tempfile.TemporaryDirectory(prefix="bench-all-") as tmp,
        engine_database(engine, args.database_url) as url,
        running_serve(Path(tmp), url, args.env, options=args.serve_option) as serve,
    ):
        try:
            _connect(serve, sink, args.connection_json)
            run["http"] = asyncio.run(run_http(serve, sink, args, note))
        except (Exception, SystemExit) as exc:
            _failed(exc, serve.log, run["errors"], note)


def drain_part(engine: str, sink: Sink, args: argparse.Namespace, run: dict[str, Any]) -> None:
    """The delivery engine, then the backlog, on a ``serve --no-worker`` and worker processes."""
    note, results = args.note, run.setdefault("drain", {})
    env, options = args.env, args.serve_option
    with (
        tempfile.TemporaryDirectory(prefix="bench-all-") as tmp,
        engine_database(engine, args.database_url) as url,
        running_serve(Path(tmp), url, env, worker=False, options=options) as serve,
    ):
        try:
            _connect(serve, sink, args.connection_json)
            for part, n, timeout in (
                ("drain", args.drain_messages, args.timeout),
                ("backlog", args.backlog, args.backlog_timeout),
            ):
                if part in args.skip:
                    continue
                note(f"{part}: filling the outbox with {n:,} messages (send-batch)")
                results[f"{part}_fill"] = fill(serve, n, timeout)
                note(f"{part}: draining {n:,} with {args.drain_workers} worker(s)")
                results[part] = drain(serve, sink, Path(tmp), url, args, n, timeout, note)
                if results[part]["timed_out"]:
                    note(f"{part}: {results[part]['delivered']:,} delivered within {timeout} s")
                    break
        except (Exception, SystemExit) as exc:
            _failed(exc, serve.log, run["errors"], note)


def workflows_part(engine: str, sink: Sink, args: argparse.Namespace, run: dict[str, Any]) -> None:
    """The workflow cases on a fresh ``serve`` (with its worker and run engine)."""
    note = args.note
    with (
        tempfile.TemporaryDirectory(prefix="bench-all-") as tmp,
        engine_database(engine, args.database_url) as url,
        running_serve(Path(tmp), url, args.env, options=args.serve_option) as serve,
    ):
        try:
            _connect(serve, sink, args.connection_json)
            run["workflows"] = asyncio.run(run_workflows(serve, sink, args, note))
        except (Exception, SystemExit) as exc:
            _failed(exc, serve.log, run["errors"], note)


def run_engine(engine: str, sink: Sink, args: argparse.Namespace) -> dict[str, Any]:
    run: dict[str, Any] = {"engine": engine, "errors": []}
    if set(PARTS[:6]) - set(args.skip):
        args.note(f"{engine}: HTTP cases")
        http_part(engine, sink, args, run)
    if {"drain", "backlog"} - set(args.skip):
        args.note(f"{engine}: delivery engine")
        drain_part(engine, sink, args, run)
    if "workflows" not in args.skip:
        args.note(f"{engine}: workflows")
        workflows_part(engine, sink, args, run)
    return run


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--quick", action="store_true", help="fewer messages, a small backlog: a few minutes")
    add(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL"),
        help="PostgreSQL URL"
        " allowed to CREATE DATABASE (default $BENCH_DATABASE_URL); without it SQLite only",
    )
    add("--engines", help="comma-separated: sqlite,postgresql")
    for name, (full, quick) in SIZES.items():
        add("--" + name.replace("_", "-"), type=int, help=f"default {full:,} ({quick:,} quick)")
    add("--clients", type=int, default=32, help="sync, 1 MB and healthz cases (default 32)")
    add("--async-clients", default="32,256", help="one async case per count (default 32,256)")
    add("--batch-size", type=int, default=100)
    add("--batch-clients", type=int, default=8)
    add("--large-bytes", type=int, default=1_000_000, help="the large attachment (1 MB)")
    add("--memory-bytes", type=int, default=25_000_000, help="the peak-memory one (25 MB)")
    add("--drain-workers", type=int, default=1, help="worker processes draining the outbox")
    add("--env", action="append", type=setting, default=[], help="SMTP_CONNECTOR_X=V for all")
    add("--serve-option", action="append", default=[], help="one more `serve` argument")
    add("--worker-option", action="append", default=[], help="one more `worker` argument")
    add("--connection-json", default="{}", help="extra fields of the sink's connection")
    add("--skip", default="", help="comma-separated parts: " + ",".join(PARTS))
    add("--only-workflows", action="store_true", help="the workflow cases alone (no peers)")
    add(
        "--profile-workflows",
        metavar="DIR",
        help="profile Request -> Compose -> Send Email on SQLite under py-spy into DIR; only that",
    )
    add("--timeout", type=float, default=600, help="bound on each case (s)")
    add("--backlog-timeout", type=float, default=3600, help="bound on the backlog's drain (s)")
    add("--sink", default=default_sink_path(), help="smtp-sink (default $SMTP_SINK or PATH)")
    add("--json", help="output file (default bench/results/all-<time>.json)")
    add("--markdown", action="store_true", help="also print the tables as Markdown")
    add("--report", help="print the tables of this JSON report; measure nothing")
    args = parser.parse_args()
    for name, (full, quick) in SIZES.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    args.env = dict(args.env)
    args.async_clients = [int(c) for c in args.async_clients.split(",") if c]
    args.skip = [part for part in args.skip.split(",") if part]
    if unknown := set(args.skip) - set(PARTS):
        parser.error(f"--skip: unknown {', '.join(sorted(unknown))}")
    if args.only_workflows:
        args.skip = [part for part in PARTS if part != "workflows"]
    return args


def noter() -> Note:
    """Progress lines on stderr, with the minutes and seconds since this call."""
    start = time.monotonic()

    def note(text: str) -> None:
        elapsed = int(time.monotonic() - start)
        print(f"[{elapsed // 60:02d}:{elapsed % 60:02d}] {text}", file=sys.stderr, flush=True)

    return note


def measure(args: argparse.Namespace, now: datetime) -> dict[str, Any]:
    default = "sqlite,postgresql" if args.database_url else "sqlite"
    engines = (args.engines or default).split(",")
    start = time.monotonic()
    note = args.note = noter()
    if "postgresql" not in engines:
        note("PostgreSQL skipped: give --database-url (or $BENCH_DATABASE_URL) to include it")
    report: dict[str, Any] = {
        "benchmark": "bench_all",
        "date": now.isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(terse=True)},
        "load_average_before": os.getloadavg()[0],  # other work on the machine skews figures
        "python": platform.python_version(),
        "code": code(),
        "parameters": {k: v for k, v in vars(args).items() if k not in PRIVATE and not callable(v)},
        "message": {"html_chars": len(HTML), "paragraphs": 40, "attachment": len(ATTACHMENT)},
        "request_bytes": len(json.dumps(SEND).encode()),
    }
    sink = start_sink(args.sink, count=True)
    try:
        report["sink"] = sink.name
        report["peers"] = {}
        if not args.only_workflows:
            note(f"peers: {args.peer_messages:,} messages each into {sink.name}")
            report["peers"] = run_peers(sink, args.peer_messages, args.warmup, args.timeout)
        report["engines"] = [run_engine(engine, sink, args) for engine in engines]
    finally:
        sink.stop()
    report["load_average_after"] = os.getloadavg()[0]
    report["duration_seconds"] = time.monotonic() - start
    return report


def main() -> None:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that finally blocks run
    if args.profile_workflows:
        args.note = noter()
        profile_workflows(Path(args.profile_workflows), args)
        return
    if args.report:
        report = json.loads(Path(args.report).read_text())
    else:
        now = datetime.now(UTC)
        report = measure(args, now)
        path = Path(args.json) if args.json else RESULTS / f"all-{now:%Y%m%dT%H%M%SZ}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2) + "\n")
        print(f"results: {path}", file=sys.stderr)
    print_text(report, sys.stdout)
    if args.markdown:
        print()
        print_markdown(report, sys.stdout)


if __name__ == "__main__":
    main()
