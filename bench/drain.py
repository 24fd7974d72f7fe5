"""Our delivery engine alone: messages already in the outbox, composed and delivered by workers.

A ``serve --no-worker`` fills the outbox through ``send-batch`` (nothing is delivered meanwhile),
then ``smtp-connector worker`` processes are started on the same data and database and timed
until the sink has every message. The rate runs from the first message's arrival to the last's
(so a worker's start-up, reported apart, is not in it); each worker's resident memory is sampled
while it drains and its kernel peak (``VmHWM``) read before it is stopped. Every PROGRESS_SECONDS
the count delivered so far and the workers' memory are noted (a rate that falls as the drain
goes on shows in them).
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from load import run_load
from memory import MB, RssSampler, status_bytes
from message import batch_request
from server import Serve, running_worker
from sink import Sink

FILL_BATCH = 500
FILL_CLIENTS = 4
PROGRESS_SECONDS = 60


def fill(serve: Serve, n: int, timeout: float) -> dict[str, Any]:
    """Queue ``n`` messages with ``send-batch`` (batches of FILL_BATCH from FILL_CLIENTS
    clients). Raises SystemExit if any batch is refused or the fill times out."""
    url = f"{serve.base}/v1/connections/sink/send-batch"
    headers = {"Authorization": f"Bearer {serve.key}", "Content-Type": "application/json"}
    started, queued = time.perf_counter(), 0
    for size, count in ((FILL_BATCH, n // FILL_BATCH), (n % FILL_BATCH, 1)):
        if size == 0 or count == 0:
            continue
        load = asyncio.run(
            run_load(
                "POST",
                url,
                requests=count,
                clients=FILL_CLIENTS,
                body=batch_request(size),
                headers=headers,
                expect=202,
                run_timeout=timeout,
            )
        )
        if load.count(202) != count or load.timed_out:
            raise SystemExit(f"filling the outbox: {dict(load.statuses)} {load.sample}")
        queued += size * count
    seconds = time.perf_counter() - started
    return {"queued": queued, "seconds": seconds, "accepted_per_second": queued / seconds}


def drain(
    serve: Serve,
    sink: Sink,
    workdir: Path,
    database_url: str | None,
    args: Any,
    n: int,
    timeout: float,
    note: Callable[[str], None],
) -> dict[str, Any]:
    """Start ``args.drain_workers`` workers and wait (at most ``timeout``) until the sink has
    ``n`` more messages; the workers are stopped (SIGTERM, by pid) before this returns."""
    before = sink.received
    sink.watch_first()
    started = time.perf_counter()
    peaks: list[int | None] = []
    with contextlib.ExitStack() as stack:
        workers: list[subprocess.Popen[bytes]] = []
        samplers: list[RssSampler] = []
        for i in range(args.drain_workers):
            options = [*args.worker_option, "--name", f"bench-{i}"]
            log = f"worker-{serve.pid}-{i}-{int(started)}.log"
            process = stack.enter_context(
                running_worker(workdir, database_url, args.env, options=options, log_name=log)
            )
            workers.append(process)
            samplers.append(stack.enter_context(RssSampler(process.pid, 0.25)))
        progress: list[dict[str, float]] = []
        deadline = time.monotonic() + timeout
        next_note = time.monotonic() + PROGRESS_SECONDS
        while sink.received < before + n and time.monotonic() < deadline:
            if all(worker.poll() is not None for worker in workers):
                break
            if time.monotonic() >= next_note:
                next_note += PROGRESS_SECONDS
                rss = sum(status_bytes(w.pid, "VmRSS") or 0 for w in workers) / MB
                at = {"seconds": time.perf_counter() - started, "delivered": sink.received - before}
                progress.append(at | {"workers_rss_mb": rss})
                note(f"{at['delivered']:,} of {n:,} delivered; workers' RSS {rss:,.0f} MB")
            time.sleep(0.05)
        peaks = [status_bytes(worker.pid, "VmHWM") for worker in workers]
        exits = [worker.poll() for worker in workers]
    delivered = sink.received - before
    first, last = sink.first_arrival, sink.last_arrival
    rate = None
    if first is not None and delivered > 1 and last > first:
        rate = (delivered - 1) / (last - first)
    largest = max((p for p in peaks if p is not None), default=None)
    return {
        "queued": n,
        "workers": args.drain_workers,
        "delivered": delivered,
        "delivered_per_second": rate,
        "first_delivery_after_seconds": None if first is None else first - started,
        "seconds": last - started if delivered else None,
        "worker_peak_rss_mb": None if largest is None else largest / MB,
        "worker_sampled_rss_mb": max(s.peak for s in samplers) / MB if samplers else None,
        "worker_exit_codes_before_stop": exits,
        "timed_out": delivered < n,
        "progress": progress,
    }
