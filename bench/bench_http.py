"""End to end over HTTP: the real ``serve`` delivering into one sink, the naive connector beside it.

    python bench/bench_http.py [--messages 2000] [--clients 32] [--sync-messages 500]
        [--database-url postgresql://USER@HOST/ADMIN_DB] [--engines sqlite,postgresql]
        [--json PATH | --json -] [--sink PATH_TO_smtp-sink]

In one run: the naive connector (``smtplib`` + ``EmailMessage``, composing each message, a new
connection per message, one after another; see ``naive.py``); then for each engine a fresh
``smtp-connector serve --no-inbox`` (SQLite in a new data dir, or a new PostgreSQL database made
from ``--database-url`` and dropped afterwards) with one connection to the sink, measured with
the same message from ``--clients`` concurrent aiohttp clients:

- ``GET /healthz``: the ceiling of the HTTP stack and of this load generator;
- ``send`` with ``Prefer: respond-async``: 202s per second, their latency (p50, p99) and
  messages **delivered** per second: from the first request until the sink has the last one;
- ``send`` without it (synchronous): answers per second and latency (p50, p99).

A warm-up of ``--warmup`` async sends, delivered before anything is timed, precedes them.
Deliveries are counted at the sink (``smtp-sink -c``); if it reports nothing, at the outbox's
``sent`` count on ``/metrics``, and the output says which. Every wait is bounded (``--timeout``
per phase, 60 s per request), and every process started is stopped by its pid. Writes JSON to
``bench/results/`` (or ``--json``) and prints a table with ratios to the naive connector.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from load import Load, run_load
from message import ATTACHMENT, CONTENT, HTML, SEND
from naive import run_smtplib
from report import print_table
from server import Serve, engine_database, running_serve, setting
from sink import Sink, default_sink_path, start_sink

PRIVATE = ("database_url", "sink", "json")  # may hold a password or a local path
RESULTS = Path(__file__).resolve().parent / "results"


class Deliveries:
    """Delivered messages so far and when the count last grew: at the sink when it counts,
    else the outbox's ``sent`` count (polled, so its times are late by up to one poll)."""

    def __init__(self, sink: Sink, serve: Serve) -> None:
        self.sink, self.serve = sink, serve
        self.where = "sink"
        self._outbox = (0, 0.0)

    def read(self) -> tuple[int, float]:
        if self.where == "sink":
            return self.sink.received, self.sink.last_arrival
        sent = self.serve.outbox_sent() or 0
        if sent > self._outbox[0]:
            self._outbox = (sent, time.perf_counter())
        return self._outbox

    async def wait(self, target: int, timeout: float) -> tuple[int, float | None]:
        """Until ``target`` are delivered: (count, when it got there, or None after timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            count, at = self.read()
            if count >= target:
                return count, at
            if time.monotonic() > deadline:
                return count, None
            await asyncio.sleep(0.02 if self.where == "sink" else 0.1)

    async def warm_up(self, base: int, sent: int, timeout: float) -> None:
        """After ``sent`` warm-up messages (the sink had ``base`` before): choose where to
        count, and wait until they are delivered. Raises SystemExit if they are not in time."""
        deadline = time.monotonic() + timeout
        while self.sink.received < base + sent:
            outbox = self.serve.outbox_sent() or 0
            if outbox >= sent and self.sink.received == base:
                await asyncio.sleep(2)  # the sink's counter may just lag
                if self.sink.received == base:
                    self.where = "outbox"
                    return
            if time.monotonic() > deadline:
                raise SystemExit(f"warm-up: {outbox} of {sent} sent after {timeout} s")
            await asyncio.sleep(0.05)


def phase(load: Load, expect: int, delivered: int | None, at: float | None) -> dict[str, Any]:
    rate = None if at is None or delivered is None else delivered / (at - load.started)
    return {
        "requests": sum(load.statuses.values()),
        "statuses": dict(load.statuses),
        "unexpected_answers": load.sample,
        "answers_per_second": load.rate(expect),
        "latency_ms": {"p50": load.percentile_ms(0.5), "p99": load.percentile_ms(0.99)},
        "delivered": delivered,
        "delivered_per_second": rate,
        "timed_out": load.timed_out or (delivered is not None and at is None),
    }


async def measure(serve: Serve, sink: Sink, args: argparse.Namespace) -> dict[str, Any]:
    url = f"{serve.base}/v1/connections/sink/send"
    auth = {"Authorization": f"Bearer {serve.key}", "Content-Type": "application/json"}
    body = json.dumps(SEND).encode()
    deliveries = Deliveries(sink, serve)

    async def send(n: int, prefer_async: bool) -> Load:
        headers = {**auth, "Prefer": "respond-async"} if prefer_async else auth
        expect = 202 if prefer_async else 200
        return await run_load(
            "POST",
            url,
            requests=n,
            clients=args.clients,
            body=body,
            headers=headers,
            expect=expect,
            run_timeout=args.timeout,
        )

    base = sink.received
    warm = await send(args.warmup, True)
    if warm.count(202) != args.warmup:
        raise SystemExit(f"warm-up answers: {dict(warm.statuses)} {warm.sample}")
    await deliveries.warm_up(base, args.warmup, args.timeout)
    ceiling = await run_load(
        "GET",
        f"{serve.base}/healthz",
        requests=args.messages,
        clients=args.clients,
        run_timeout=args.timeout,
    )
    before, _ = deliveries.read()
    sent = await send(args.messages, True)
    count, at = await deliveries.wait(before + sent.count(202), args.timeout)
    result: dict[str, Any] = {"counted_at": deliveries.where}
    result["healthz"] = phase(ceiling, 200, None, None)
    result["async"] = phase(sent, 202, count - before, at)
    before, _ = deliveries.read()
    synced = await send(args.sync_messages, False)
    count, at = await deliveries.wait(before + synced.count(200), args.timeout)
    result["sync"] = phase(synced, 200, count - before, at)
    result["outbox_sent"] = serve.outbox_sent()
    return result


def run_engine(engine: str, sink: Sink, args: argparse.Namespace) -> dict[str, Any]:
    env = dict(args.env)
    with (
        tempfile.TemporaryDirectory(prefix="bench-http-") as tmp,
        engine_database(engine, args.database_url) as url,
        running_serve(Path(tmp), url, env) as serve,
    ):
        connection = {"name": "sink", "server": "127.0.0.1", "port": sink.port}
        connection |= {"security": "none", **json.loads(args.connection_json)}
        status, answer = serve.request("POST", "/v1/connections", connection)
        if status != 201:
            raise SystemExit(f"creating the connection: {status} {answer}")
        try:
            return {"engine": engine, **asyncio.run(measure(serve, sink, args))}
        except (Exception, SystemExit) as exc:
            if not isinstance(exc, SystemExit) or isinstance(exc.code, str):  # not a signal
                print(serve.log.read_text(errors="replace")[-3000:], file=sys.stderr)
            raise


def run_naive(sink: Sink, n: int) -> dict[str, Any]:
    before = sink.received
    started = time.perf_counter()
    run_smtplib(sink.port, n, CONTENT, reuse=False, compose_each=True)
    elapsed = time.perf_counter() - started
    sink.wait_for(before + n)
    return {"messages": n, "per_second": n / elapsed, "sink_received": sink.received - before}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000, help="async sends (and naive)")
    parser.add_argument("--sync-messages", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=64)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--database-url", help="PostgreSQL URL allowed to CREATE DATABASE")
    parser.add_argument("--engines", help="comma-separated; default sqlite (and postgresql)")
    parser.add_argument("--env", action="append", type=setting, default=[], help="for serve")
    parser.add_argument("--connection-json", default="{}", help="extra connection fields")
    parser.add_argument("--timeout", type=float, default=600, help="bound on each wait (s)")
    parser.add_argument("--sink", default=default_sink_path())
    parser.add_argument("--json", help="output file, or - for stdout (table then on stderr)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that finally blocks run
    default = "sqlite,postgresql" if args.database_url else "sqlite"
    engines = (args.engines or default).split(",")
    now = datetime.now(UTC)
    report: dict[str, Any] = {
        "benchmark": "bench_http",
        "date": now.isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(terse=True)},
        "load_average_before": os.getloadavg()[0],  # other work on the machine skews figures
        "python": platform.python_version(),
        "parameters": {k: v for k, v in vars(args).items() if k not in PRIVATE},
        "message": {"html_chars": len(HTML), "paragraphs": 40, "attachment": len(ATTACHMENT)},
        "request_bytes": len(json.dumps(SEND).encode()),
    }
    sink = start_sink(args.sink, count=True)
    try:
        report["sink"] = sink.name
        report["naive"] = run_naive(sink, args.messages)
        report["runs"] = [run_engine(engine, sink, args) for engine in engines]
    finally:
        sink.stop()
    report["load_average_after"] = os.getloadavg()[0]
    text = json.dumps(report, indent=2)
    if args.json == "-":
        print(text)
    else:
        path = Path(args.json) if args.json else RESULTS / f"http-{now:%Y%m%dT%H%M%SZ}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")
        print(f"results: {path}", file=sys.stderr)
    print_table(report, sys.stderr if args.json == "-" else sys.stdout)


if __name__ == "__main__":
    main()
