"""The lease heartbeat: one per process, it keeps alive the leases of every attempt running
in the process (the workers' and the API's own first attempts) and notices those taken over.

Leases are short (``LEASE_SECONDS``, 30 by default) so that a killed process's messages come
back quickly; a live process renews its leases every third of that. A renewal that fails (the
database restarts, a network blip) is logged and tried again soon, with a growing pause, and
the heartbeat never stops on an error. ``healthy`` says whether the last renewal worked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from anyio import CapacityLimiter, to_thread

from smtp_connector.logs import log_event
from smtp_connector.outbox.faults import backoff, describe
from smtp_connector.outbox.leases import OutboxLeases
from smtp_connector.outbox.types import Lease


class LeaseKeeper:
    """Renews the leases ``hold`` registers until ``drop``; ``lost`` tells a taken-over one."""

    def __init__(self, store: OutboxLeases, lease_seconds: float) -> None:
        self.store = store
        self.lease_seconds = lease_seconds
        self.healthy = True
        """False while renewals fail (the database does not answer)."""
        self.last_error: str | None = None
        self._held: set[Lease] = set()
        self._lost: set[Lease] = set()
        self._task: asyncio.Task[None] | None = None
        self._users = 0
        # Its own thread slot: a renewal never queues behind busy request threads.
        self._limiter = CapacityLimiter(1)

    @property
    def interval(self) -> float:
        """Seconds between renewals: a third of the lease, so two may fail before it ends."""
        return self.lease_seconds / 3

    def hold(self, lease: Lease) -> None:
        self._held.add(lease)

    def drop(self, lease: Lease) -> None:
        self._held.discard(lease)
        self._lost.discard(lease)

    def lost(self, lease: Lease) -> bool:
        """Whether a renewal found ``lease`` taken over (its holder must not send)."""
        return lease in self._lost

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[LeaseKeeper]:
        """Run the heartbeat while any user (the API, a worker) is inside this context."""
        self._users += 1
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._beat())
        try:
            yield self
        finally:
            self._users -= 1
            if self._users == 0 and self._task is not None:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
                self._task = None

    async def renew(self) -> None:
        """Renew every held lease once; raises what the database raised."""
        leases = set(self._held)
        if not leases:
            return
        kept = await to_thread.run_sync(
            self.store.extend_leases, leases, self.lease_seconds, limiter=self._limiter
        )
        # Leases dropped meanwhile finished their attempt; the rest were taken over.
        self._lost |= (leases - kept) & self._held

    async def _beat(self) -> None:
        failures = 0
        while True:
            pause = self.interval if failures == 0 else backoff(failures, self.interval)
            await asyncio.sleep(pause)
            try:
                await self.renew()
            except Exception as exc:  # the heartbeat must outlive any error
                failures += 1
                self.healthy = False
                self.last_error = describe(exc)
                log_event(
                    "lease.renew_failed",
                    logging.ERROR,
                    failures=failures,
                    held=len(self._held),
                    error=self.last_error,
                )
                continue
            if failures:
                log_event("lease.renew_recovered", failures=failures, held=len(self._held))
            failures = 0
            self.healthy = True
            self.last_error = None
