"""Where a workflow run's time goes: Request -> Compose -> Send Email on SQLite under py-spy.

    bench/run --profile-workflows DIR [--workflow-runs N] [--quick]

Not part of the normal run. ``serve`` starts through ``counted_serve.py`` (counters of its
transactions, statements and new connections); after the warm-up, py-spy (a sampling profiler:
it reads the process's stacks from outside, 100 times a second) attaches to it for the measured
case only, sampling the thread that holds the GIL. What runs with the GIL released (SQLite's
own work and its disk flushes, socket I/O) is not in the samples; ``serve``'s CPU time per run
(from ``/proc``) is. Into DIR go ``stacks.txt`` (py-spy's collapsed stacks, for a flame graph
tool), ``hotspots.txt`` (``stacks.py``'s summary, also printed) and ``profile.json`` (the
case's result, the database counts per run, the summary's figures). The rate measured here is
slowed by the sampling: the benchmark's figures come from the normal run.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from server import Serve, connect_sink, running_serve
from sink import Sink, start_sink
from stacks import report, summarize
from workflow_cases import flows, measure, prepare

COUNTED = Path(__file__).resolve().parent / "counted_serve.py"
ATTACH_SECONDS = 15
RATE = 100
FLAGS = ("--gil", "--nonblocking", "--threads", "--function")
"""Only the thread holding the GIL (the one core Python code runs on; idle and waiting threads
never hold it), without pausing serve at each sample (pausing its dozens of threads halved its
rate), by function rather than by line."""
SETTLE_SECONDS = 0.5  # counted_serve.py rewrites its counts every 0.2 s


def _py_spy() -> str:
    found = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if not found:
        raise SystemExit("py-spy is missing: pip install -e '.[bench]' (bench/run does)")
    return found


def _counts(path: Path) -> dict[str, int]:
    time.sleep(SETTLE_SECONDS)
    return dict(json.loads(path.read_text())) if path.exists() else {}


def _attach(py_spy: str, pid: int, out: Path) -> subprocess.Popen[bytes]:
    """py-spy recording ``pid`` into ``out``/stacks.txt, once it has started sampling."""
    log = out / "py-spy.log"
    command = [py_spy, "record", "--pid", str(pid), "--rate", str(RATE), "--format", "raw"]
    command += [*FLAGS, "--output", str(out / "stacks.txt")]
    with log.open("wb") as sink:
        spy = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + ATTACH_SECONDS
    while "Sampling" not in log.read_text(errors="replace"):
        if spy.poll() is not None or time.monotonic() > deadline:
            _detach(spy)
            raise SystemExit(f"py-spy did not attach: {log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.05)
    return spy


def _detach(spy: subprocess.Popen[bytes]) -> None:
    """Ctrl-C: py-spy writes what it sampled, then exits (killed if it does not)."""
    if spy.poll() is None:
        spy.send_signal(signal.SIGINT)
        try:
            spy.wait(timeout=60)
        except subprocess.TimeoutExpired:
            spy.kill()
    spy.wait(timeout=10)


async def _profiled(serve: Serve, sink: Sink, args: Any, out: Path, counts: Path) -> dict[str, Any]:
    flow = flows("sink")[0]
    url = prepare(serve, flow, args.timeout)
    args.note(f"profile: warm-up of {args.warmup} runs")
    await measure(serve, sink, flow, url, args.warmup, args, 1)
    before = _counts(counts)
    spy = _attach(_py_spy(), serve.pid, out)
    try:
        args.note(f"profile: {args.workflow_runs:,} runs under py-spy")
        result = await measure(serve, sink, flow, url, args.workflow_runs, args, 1 + args.warmup)
    finally:
        _detach(spy)
    after = _counts(counts)
    runs = max(args.workflow_runs, 1)
    per_run = {k: (after.get(k, 0) - before.get(k, 0)) / runs for k in sorted(after)}
    return {"result": result, "database_per_run": per_run}


def profile_workflows(out: Path, args: Any) -> None:
    """Profile the Send Email workflow case on SQLite into ``out``; print the summary."""
    out.mkdir(parents=True, exist_ok=True)
    _py_spy()
    sink = start_sink(args.sink, count=True)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
            counts = Path(tmp) / "counts.json"
            command = [sys.executable, str(COUNTED), str(counts)]
            data = Path(tmp) / "data"
            with running_serve(
                data, None, args.env, options=args.serve_option, command=command
            ) as serve:
                connect_sink(serve, sink.port, args.connection_json)
                found = asyncio.run(_profiled(serve, sink, args, out, counts))
    finally:
        sink.stop()
    summary = summarize(out / "stacks.txt")
    text = report(summary)
    (out / "hotspots.txt").write_text(text + "\n")
    found["samples"] = summary.samples
    found["py_spy"] = (out / "py-spy.log").read_text(errors="replace").strip().splitlines()[-2:]
    found["parts"] = dict(summary.parts.most_common())
    found["threads"] = dict(summary.threads.most_common())
    (out / "profile.json").write_text(json.dumps(found, indent=2) + "\n")
    result = found["result"]
    print(f"runs/s under py-spy: {result['runs_per_second']}; failures: {result['failures']}")
    print(f"serve CPU ms per run: {result.get('serve_cpu_ms_per_run')}")
    print("database work per run: " + json.dumps(found["database_per_run"]))
    print(text)
