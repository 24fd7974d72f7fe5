"""The delivery loop: claim what is due, deliver with bounded concurrency, drain on stop.

Every loop here outlives errors: a claim or housekeeping pass that fails (the database
restarts, a failover) is logged and tried again after a growing pause, and ``health`` says
what is wrong meanwhile, for ``/readyz``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from datetime import timedelta
from typing import Any

from anyio import to_thread

from smtp_connector.logs import log_event
from smtp_connector.outbox.delivery import AttemptReport, Deliverer
from smtp_connector.outbox.faults import backoff, describe
from smtp_connector.outbox.store import OutboxStore
from smtp_connector.outbox.types import Claimed, Lease

PURGE_EVERY_SECONDS = 600.0
CLAIM_PAUSE_CAP_SECONDS = 5.0


def default_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    """Claims due messages with a lease and delivers them, ``concurrency`` at a time.

    Stopping (``stop`` event set, e.g. on SIGTERM) makes no new claims and lets the messages
    in flight finish; a claim whose attempt never began and could not record its outcome is
    then given back. One whose SMTP conversation began is never given back: the server may
    have the message, so its lease runs out and the next holder records the outcome as unknown.
    """

    def __init__(
        self,
        store: OutboxStore,
        deliverer: Deliverer,
        *,
        name: str,
        concurrency: int = 64,
        poll_seconds: float = 0.5,
        retention: timedelta | None = None,
    ) -> None:
        self.store = store
        self.deliverer = deliverer
        self.name = name
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self.retention = retention
        self.running = False
        self.last_error: str | None = None
        """Why the last claim failed; None once a claim works again."""
        self.refill = max(1, concurrency // 2)
        """Free slots that make a claim worth its transaction while messages are in flight."""
        self._wake = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._unreported: set[Lease] = set()

    @property
    def lease_seconds(self) -> float:
        return self.deliverer.keeper.lease_seconds

    @property
    def health(self) -> str | None:
        """None while the worker runs and reaches the database; else what is wrong."""
        if not self.running:
            return "The delivery worker is not running."
        if self.last_error is not None:
            return f"The delivery worker cannot claim messages: {self.last_error}"
        keeper = self.deliverer.keeper
        if not keeper.healthy:
            return f"The delivery worker cannot renew its leases: {keeper.last_error}"
        return None

    def wake(self) -> None:
        """Look at the queue now (called when this process enqueued something)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        log_event("worker.started", worker=self.name, concurrency=self.concurrency)
        self.running = True
        async with self.deliverer.keeper.running():
            housekeeping = asyncio.create_task(self._housekeeping())
            try:
                await self._claim_loop(stop)
            finally:
                self.running = False
                log_event("worker.draining", worker=self.name, in_flight=len(self._in_flight))
                if self._in_flight:
                    await asyncio.gather(*self._in_flight, return_exceptions=True)
                housekeeping.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await housekeeping
                released = await self._release_unreported()
        log_event("worker.stopped", worker=self.name, released=released)

    async def _claim_loop(self, stop: asyncio.Event) -> None:
        failures = 0
        loop = asyncio.get_running_loop()
        last_claim = loop.time()
        while not stop.is_set():
            claimed: list[Claimed] = []
            free = self.concurrency - len(self._in_flight)
            # Under load, claim in batches (one claim per freed slot would cost a commit each),
            # but never leave free slots unused for longer than the poll interval.
            overdue = loop.time() - last_claim >= self.poll_seconds
            if free >= self.refill or (free > 0 and (overdue or not self._in_flight)):
                last_claim = loop.time()
                try:
                    claimed = await to_thread.run_sync(
                        self.store.claim, self.name, free, self.lease_seconds
                    )
                except Exception as exc:  # the loop must outlive a database outage
                    failures += 1
                    self.last_error = describe(exc)
                    log_event(
                        "worker.claim_failed",
                        logging.ERROR,
                        worker=self.name,
                        failures=failures,
                        error=self.last_error,
                    )
                    await _wait(stop, backoff(failures, CLAIM_PAUSE_CAP_SECONDS))
                    continue
                if failures:
                    log_event("worker.claim_recovered", worker=self.name, failures=failures)
                failures = 0
                self.last_error = None
                for message in claimed:
                    task = asyncio.create_task(self._deliver(message))
                    self._in_flight.add(task)
                    task.add_done_callback(self._in_flight.discard)
            if not claimed or self._busy():
                await self._idle(stop)

    def _busy(self) -> bool:
        """Too few slots are free for a claim: wait for deliveries to finish."""
        return self.concurrency - len(self._in_flight) < self.refill and bool(self._in_flight)

    async def _idle(self, stop: asyncio.Event) -> None:
        """Wait for a wake-up, a free slot, a stop, or the poll interval, whichever is first."""
        self._wake.clear()
        waiters: list[asyncio.Task[Any]] = [
            asyncio.create_task(stop.wait()),
            asyncio.create_task(self._wake.wait()),
        ]
        if self._busy():
            waiters.append(asyncio.create_task(_first_done(self._in_flight)))
        try:
            await asyncio.wait(
                waiters, timeout=self.poll_seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _deliver(self, message: Claimed) -> None:
        report: AttemptReport | None = None
        try:
            report = await self.deliverer.attempt(message)
        except Exception as exc:  # attempt() records every error itself; this is a last guard
            log_event("worker.attempt_crashed", logging.ERROR, id=message.id, error=describe(exc))
        if report is None or (not report.recorded and not report.started):
            self._unreported.add(message.lease)

    async def _release_unreported(self) -> int:
        """Give back the claims that never began and could not record an outcome."""
        if not self._unreported:
            return 0
        try:
            released = await to_thread.run_sync(self.store.release, set(self._unreported))
        except Exception as exc:  # their leases run out instead
            log_event("worker.release_failed", logging.ERROR, worker=self.name, error=describe(exc))
            return 0
        self._unreported.clear()
        return released

    async def _housekeeping(self) -> None:
        """Now and every ten minutes: forget expired idempotency keys and, with a retention
        period, finished messages older than it. A failed pass is logged and tried again at
        the next one."""
        while True:
            try:
                keys = await to_thread.run_sync(self.store.purge_idempotency)
                messages = 0
                if self.retention is not None:
                    messages = await to_thread.run_sync(self.store.purge_finished, self.retention)
                if keys or messages:
                    log_event("worker.purged", worker=self.name, keys=keys, messages=messages)
            except Exception as exc:
                log_event(
                    "worker.purge_failed", logging.ERROR, worker=self.name, error=describe(exc)
                )
            await asyncio.sleep(PURGE_EVERY_SECONDS)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds``, or less if ``stop`` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _first_done(tasks: set[asyncio.Task[None]]) -> None:
    if tasks:
        await asyncio.wait(set(tasks), return_when=asyncio.FIRST_COMPLETED)
