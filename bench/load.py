"""A closed-loop HTTP load generator on aiohttp: C clients, each sending its next request when
the previous one has answered, until N requests have been made.

aiohttp, not ``httpx.AsyncClient``: httpx tops out near 470 requests per second on a 2-core
machine, which would make the client the bottleneck. The body is serialized once and sent as
bytes. Each request is bounded by ``request_timeout``; a failed request is counted, not retried.
"""

from __future__ import annotations

import asyncio
import collections
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import aiohttp


@dataclass
class Load:
    """What a run of requests gave: answer codes, latencies, and when it started and ended."""

    statuses: collections.Counter[str] = field(default_factory=collections.Counter)
    """Answer codes as strings (``"202"``), or ``"error: <exception name>"``."""
    latencies: list[float] = field(default_factory=list)
    """Seconds from sending each request to reading its whole answer, answered ones only."""
    started: float = 0.0
    finished: float = 0.0
    """``time.perf_counter()`` before the first request and after the last answer."""
    sample: dict[str, str] = field(default_factory=dict)
    """One answer body per unexpected code, to show what went wrong."""
    timed_out: bool = False
    """The run was stopped at its time limit before every request was made."""

    def count(self, status: int) -> int:
        return self.statuses[str(status)]

    def rate(self, status: int) -> float:
        """Answers with ``status`` per second over the whole run."""
        return self.count(status) / max(self.finished - self.started, 1e-9)

    def percentile_ms(self, q: float) -> float | None:
        """The ``q`` quantile (0 < q <= 1) of the latencies in milliseconds, nearest rank."""
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[max(math.ceil(q * len(ordered)) - 1, 0)] * 1000


async def run_load(
    method: str,
    url: str,
    *,
    requests: int,
    clients: int,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    expect: int = 200,
    request_timeout: float = 60,
    run_timeout: float = 600,
) -> Load:
    """Make ``requests`` requests from ``clients`` concurrent clients over keep-alive connections.

    Answers other than ``expect`` are counted (one body kept per code), never raised. After
    ``run_timeout`` seconds the requests in flight are abandoned and ``timed_out`` is set.
    """
    load = Load()
    left = requests
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=request_timeout)

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal left
        while left > 0:
            left -= 1
            sent = time.perf_counter()
            try:
                async with session.request(method, url, data=body, headers=headers) as resp:
                    answer = await resp.read()
                    status = str(resp.status)
            except (aiohttp.ClientError, TimeoutError) as exc:
                load.statuses[f"error: {type(exc).__name__}"] += 1
                continue
            load.latencies.append(time.perf_counter() - sent)
            load.statuses[status] += 1
            if status != str(expect) and status not in load.sample:
                load.sample[status] = answer[:500].decode(errors="replace")

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        load.started = time.perf_counter()
        try:
            async with asyncio.timeout(run_timeout):
                await asyncio.gather(*(client(session) for _ in range(clients)))
        except TimeoutError:
            load.timed_out = True
        load.finished = time.perf_counter()
    return load
