"""Our HTTP path end to end: requests to a running ``serve`` (with its worker), each message
counted when the sink has it.

Every case sends one fixed body ``n`` times from ``clients`` concurrent aiohttp clients
(``load.py``), then waits (bounded) until the sink has received every message that was accepted.
A case reports its answers and their latency (p50, p99) apart from **delivered per second**: from
the first request until the sink has the last message.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from load import Load, run_load
from memory import MB, RssSampler, reset_peak, status_bytes, wait_quiet
from message import batch_request, noise, request, send_body
from server import Serve
from sink import Sink

Results = dict[str, Any]
ACCEPTED = ("200", "202")  # a synchronous send still waiting for its attempt answers 202


@dataclass(frozen=True)
class Case:
    """One HTTP case: ``n`` requests of ``body`` from ``clients`` clients."""

    path: str
    body: bytes
    n: int
    clients: int
    asynchronous: bool = True
    per_request: int = 1
    """Messages in one request (a batch's size)."""


class Unfinished(Exception):
    """A case did not finish within its bound: the rest of the engine's cases are skipped."""


async def wait_for_sink(sink: Sink, target: int, timeout: float) -> float | None:
    """``time.perf_counter()`` when the sink had ``target`` messages; None after ``timeout``."""
    deadline = time.monotonic() + timeout
    while sink.received < target:
        if time.monotonic() > deadline:
            return None
        await asyncio.sleep(0.02)
    return sink.last_arrival


def _summary(load: Load, per_request: int) -> dict[str, Any]:
    seconds = max(load.finished - load.started, 1e-9)
    accepted = sum(load.statuses[s] for s in ACCEPTED)
    return {
        "requests": sum(load.statuses.values()),
        "statuses": dict(load.statuses),
        "unexpected_answers": load.sample,
        "accepted_messages": accepted * per_request,
        "accepted_per_second": accepted * per_request / seconds,
        "requests_per_second": sum(load.statuses.values()) / seconds,
        "latency_ms": {"p50": load.percentile_ms(0.5), "p99": load.percentile_ms(0.99)},
    }


async def run_case(serve: Serve, sink: Sink, case: Case, timeout: float) -> dict[str, Any]:
    """Run ``case`` and wait until the sink has what it accepted. Raises Unfinished (with the
    partial result as its argument) if the requests or the deliveries time out."""
    headers = {"Authorization": f"Bearer {serve.key}", "Content-Type": "application/json"}
    if case.asynchronous:
        headers["Prefer"] = "respond-async"
    before = sink.received
    load = await run_load(
        "POST",
        serve.base + case.path,
        requests=case.n,
        clients=case.clients,
        body=case.body,
        headers=headers,
        expect=202 if case.asynchronous else 200,
        run_timeout=timeout,
    )
    result = {"clients": case.clients, "per_request": case.per_request}
    result |= _summary(load, case.per_request)
    at = await wait_for_sink(sink, before + result["accepted_messages"], timeout)
    delivered = sink.received - before
    result["delivered"] = delivered
    result["delivered_per_second"] = None if at is None else delivered / (at - load.started)
    result["timed_out"] = load.timed_out or at is None
    if result["timed_out"]:
        raise Unfinished(result)
    return result


async def healthz(serve: Serve, n: int, clients: int, timeout: float) -> dict[str, Any]:
    """``GET /healthz``: the ceiling of the HTTP stack and of this load generator."""
    load = await run_load(
        "GET", f"{serve.base}/healthz", requests=n, clients=clients, run_timeout=timeout
    )
    return {"clients": clients} | _summary(load, 1) | {"timed_out": load.timed_out}


async def peak_memory(serve: Serve, sink: Sink, size: int, timeout: float) -> dict[str, Any]:
    """One synchronous send with a ``size``-byte attachment: how far ``serve``'s resident memory
    rises above its settled size (the kernel's peak, reset just before; and 5 ms samples).
    Raises RuntimeError if the send is refused (then nothing was measured)."""
    body = request(send_body(noise(size)))
    baseline = wait_quiet(serve.pid)
    kernel_peak = reset_peak(serve.pid)
    case = Case("/v1/connections/sink/send", body, 1, 1, asynchronous=False)
    with RssSampler(serve.pid, 0.005) as sampler:
        result = await run_case(serve, sink, case, timeout)
    if result["accepted_messages"] != 1:
        raise RuntimeError(
            f"the {size:,}-byte attachment was refused: {result['unexpected_answers']}"
        )
    hwm = status_bytes(serve.pid, "VmHWM") if kernel_peak else None
    peak = hwm if hwm is not None else sampler.peak
    growth = None if baseline is None else peak - baseline
    return result | {
        "attachment_bytes": size,
        "request_bytes": len(body),
        "baseline_rss_mb": None if baseline is None else baseline / MB,
        "peak_rss_mb": peak / MB,
        "peak_from": "VmHWM" if hwm is not None else "samples",
        "sampled_peak_rss_mb": sampler.peak / MB,
        "growth_mb": None if growth is None else growth / MB,
        "growth_per_attachment": None if growth is None else growth / size,
    }


def cases(args: Any) -> dict[str, Case]:
    """The throughput cases by name, in the order they run."""
    single, send = request(send_body()), "/v1/connections/sink/send"
    found = {f"async_{c}": Case(send, single, args.messages, c) for c in args.async_clients}
    batch = batch_request(args.batch_size)
    found["batch"] = Case(
        "/v1/connections/sink/send-batch",
        batch,
        args.batch_messages // args.batch_size,
        args.batch_clients,
        per_request=args.batch_size,
    )
    found["sync"] = Case(send, single, args.sync_messages, args.clients, asynchronous=False)
    large = request(send_body(noise(args.large_bytes)))
    found["large"] = Case(send, large, args.large_messages, args.clients)
    return found


async def run_http(serve: Serve, sink: Sink, args: Any, note: Callable[[str], None]) -> Results:
    """Every HTTP case on one ``serve``, in order; results by case name. A case that does not
    finish ends the run (its partial result is kept under its name, with ``timed_out``)."""
    warm = Case("/v1/connections/sink/send", request(send_body()), args.warmup, args.clients)
    results = {"warmup": await run_case(serve, sink, warm, args.timeout)}
    steps: list[tuple[str, str, Callable[[], Awaitable[Results]]]] = []
    if "memory" not in args.skip:
        size = args.memory_bytes
        text = f"one {size / 1e6:g} MB attachment, serve's peak memory"
        steps.append(("memory", text, lambda: peak_memory(serve, sink, size, args.timeout)))
    if "healthz" not in args.skip:
        text = f"GET /healthz: {args.messages} requests from {args.clients} clients"
        steps.append(
            ("healthz", text, lambda: healthz(serve, args.messages, args.clients, args.timeout))
        )
    for name, case in cases(args).items():
        if name.split("_")[0] not in args.skip:
            text = f"{name}: {case.n} requests from {case.clients} clients"
            steps.append((name, text, partial(run_case, serve, sink, case, args.timeout)))
    for name, text, step in steps:
        note(text)
        try:
            results[name] = await step()
        except Unfinished as exc:
            results[name] = exc.args[0]
            note(f"{name} did not finish within {args.timeout} s: the engine's next cases skipped")
            break
        except RuntimeError as exc:  # refused: the case measured nothing; the others can run
            results[name] = {"error": str(exc)}
            note(f"{name}: {exc}")
    return results
