"""The delivery loop: claim what is due, deliver with bounded concurrency, drain on stop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from datetime import timedelta
from typing import Any

from anyio import to_thread

from smtp_connector.logs import log_event
from smtp_connector.outbox.delivery import Deliverer
from smtp_connector.outbox.store import OutboxStore
from smtp_connector.outbox.types import Claimed

PURGE_EVERY_SECONDS = 600.0


def default_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    """Claims due messages with a lease and delivers them, ``concurrency`` at a time.

    Stopping (``stop`` event set, e.g. on SIGTERM) makes no new claims, lets the messages in
    flight finish, then releases anything still leased to this worker.
    """

    def __init__(
        self,
        store: OutboxStore,
        deliverer: Deliverer,
        *,
        name: str,
        concurrency: int = 16,
        lease_seconds: float = 300.0,
        poll_seconds: float = 0.5,
        retention: timedelta | None = None,
    ) -> None:
        self.store = store
        self.deliverer = deliverer
        self.name = name
        self.concurrency = concurrency
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.retention = retention
        self._wake = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()

    def wake(self) -> None:
        """Look at the queue now (called when this process enqueued something)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        log_event("worker.started", worker=self.name, concurrency=self.concurrency)
        renewer = asyncio.create_task(self._renew_leases())
        housekeeping = asyncio.create_task(self._housekeeping())
        try:
            while not stop.is_set():
                claimed: list[Claimed] = []
                free = self.concurrency - len(self._in_flight)
                if free > 0:
                    claimed = await to_thread.run_sync(
                        self.store.claim, self.name, free, self.lease_seconds
                    )
                    for message in claimed:
                        task = asyncio.create_task(self._deliver(message))
                        self._in_flight.add(task)
                        task.add_done_callback(self._in_flight.discard)
                if not claimed or len(self._in_flight) >= self.concurrency:
                    await self._idle(stop)
        finally:
            log_event("worker.draining", worker=self.name, in_flight=len(self._in_flight))
            if self._in_flight:
                await asyncio.gather(*self._in_flight, return_exceptions=True)
            for background in (renewer, housekeeping):
                background.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await background
            released = await to_thread.run_sync(self.store.release, self.name)
            log_event("worker.stopped", worker=self.name, released=released)

    async def _idle(self, stop: asyncio.Event) -> None:
        """Wait for a wake-up, a free slot, a stop, or the poll interval, whichever is first."""
        self._wake.clear()
        waiters: list[asyncio.Task[Any]] = [
            asyncio.create_task(stop.wait()),
            asyncio.create_task(self._wake.wait()),
        ]
        if len(self._in_flight) >= self.concurrency:
            waiters.append(asyncio.create_task(_first_done(self._in_flight)))
        try:
            await asyncio.wait(
                waiters, timeout=self.poll_seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _deliver(self, message: Claimed) -> None:
        try:
            await self.deliverer.attempt(message, self.name)
        except Exception as exc:  # the lease expires and another attempt is made
            log_event("worker.attempt_crashed", id=message.id, error=type(exc).__name__)

    async def _renew_leases(self) -> None:
        """Extend the leases of messages still in flight, so slow deliveries keep their claim."""
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            if self._in_flight:
                await to_thread.run_sync(self.store.extend_leases, self.name, self.lease_seconds)

    async def _housekeeping(self) -> None:
        """Now and every ten minutes: forget expired idempotency keys and, with a retention
        period, finished messages older than it."""
        while True:
            keys = await to_thread.run_sync(self.store.purge_idempotency)
            messages = 0
            if self.retention is not None:
                messages = await to_thread.run_sync(self.store.purge_finished, self.retention)
            if keys or messages:
                log_event("worker.purged", worker=self.name, keys=keys, messages=messages)
            await asyncio.sleep(PURGE_EVERY_SECONDS)


async def _first_done(tasks: set[asyncio.Task[None]]) -> None:
    if tasks:
        await asyncio.wait(set(tasks), return_when=asyncio.FIRST_COMPLETED)
