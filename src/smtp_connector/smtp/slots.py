"""Per-settings bookkeeping for :class:`~smtp_connector.smtp.pool.SmtpPool`: slots, waiters, idle.

The sessions of one set of :class:`~smtp_connector.smtp.types.SmtpSettings` form a
:class:`Bucket`, which counts its *slots*: sessions idle or busy, and slots granted to a caller
that has not opened its session yet. :class:`Slots` keeps the buckets of one pool:

* it hands out an idle session (the most recently used) or a free slot, within the caller's
  ``max_sessions``, and makes the others wait, first come first served;
* it takes back a healthy session after a message (to the first waiter, else idle; closed when
  surplus or when the pool is closing), and frees the slot of a session that is gone;
* it QUITs the sessions idle for ``idle_seconds``, in the background, with a reaper task that runs
  only while some session is idle.

What happens to a session in between (opening, logging in, sending, deciding whether it can be
used again) is up to :mod:`~smtp_connector.smtp.pool`.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field

from smtp_connector.smtp.session import Session
from smtp_connector.smtp.types import SmtpSettings

__all__ = ["Bucket", "PooledSession", "Slots"]


@dataclass(eq=False)
class PooledSession:
    """A session owned by the pool, with how often it was used and since when it is idle."""

    session: Session
    uses: int = 0
    idle_since: float = 0.0


@dataclass(eq=False)
class _Waiter:
    """A caller waiting for a session (the future's result) or a slot to open one (``None``)."""

    future: asyncio.Future[PooledSession | None]
    limit: int


@dataclass(eq=False)
class Bucket:
    """The sessions of one set of settings."""

    key: SmtpSettings
    idle: list[PooledSession] = field(default_factory=list)
    """Least recently used first; sessions are taken from the end."""
    busy: set[PooledSession] = field(default_factory=set)
    """Sessions opening, sending, or handed to a waiter that has not woken up yet."""
    open: int = 0
    """Slots taken: idle and busy sessions, and slots granted but not yet opened."""
    waiters: deque[_Waiter] = field(default_factory=deque)

    def empty(self) -> bool:
        return self.open == 0 and not self.waiters

    def next_waiter(self) -> _Waiter | None:
        """The first waiter still waiting (cancelled ones are dropped on the way)."""
        while self.waiters:
            waiter = self.waiters[0]
            if not waiter.future.done():
                return waiter
            self.waiters.popleft()
        return None


class Slots:
    """The buckets of one pool, with its reaper and its QUITs in the background."""

    def __init__(self, idle_seconds: float, counts: dict[str, int]) -> None:
        self.idle_seconds = idle_seconds
        self.counts = counts
        """The pool's counters; this counts ``discarded`` (stale idle sessions) and ``expired``."""
        self.buckets: dict[SmtpSettings, Bucket] = {}
        self.closing = False
        """Set when the pool starts closing: sessions that come back are closed, not kept."""
        self.closed = False
        """Set when the pool has closed: sessions are dropped without QUIT."""
        self._reaper: asyncio.Task[None] | None = None
        self._quitting: set[asyncio.Task[None]] = set()

    def reset(self) -> None:
        """Forget the sessions and tasks of an event loop that is gone (the counters stay)."""
        self.buckets = {}
        self._reaper = None
        self._quitting = set()

    def bucket(self, key: SmtpSettings) -> Bucket:
        """The bucket of ``key``, made when there is none."""
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = Bucket(key)
        return bucket

    def occupancy(self) -> dict[str, int]:
        """The sessions now idle and busy, and the callers waiting."""
        buckets = self.buckets.values()
        idle = sum(len(b.idle) for b in buckets)
        return {
            "idle": idle,
            "busy": sum(b.open for b in buckets) - idle,
            "waiting": sum(1 for b in buckets for w in b.waiters if not w.future.done()),
        }

    # -- slots and waiters ------------------------------------------------------------------

    async def acquire(self, bucket: Bucket, limit: int) -> PooledSession | None:
        """An idle session, or ``None``: a slot to open a new one. Waits its turn if needed."""
        if bucket.next_waiter() is None:
            if bucket.idle:
                return self._take_idle(bucket)
            if bucket.open < limit:
                bucket.open += 1
                return None
        waiter = _Waiter(asyncio.get_running_loop().create_future(), limit)
        bucket.waiters.append(waiter)
        try:
            return await waiter.future
        except asyncio.CancelledError:
            future = waiter.future
            if future.done() and not future.cancelled() and future.exception() is None:
                handed = future.result()  # handed over just as we were cancelled: pass it on
                if handed is None:
                    self.free_slot(bucket)
                else:
                    bucket.busy.discard(handed)
                    self.release(bucket, handed, limit)
            with suppress(ValueError):
                bucket.waiters.remove(waiter)
            raise

    def release(self, bucket: Bucket, pooled: PooledSession, limit: int) -> None:
        """A healthy session is free: to the first waiter, else idle (or closed, when surplus)."""
        if self.closing:
            self.quit(pooled.session)
            self.free_slot(bucket)
            return
        waiter = bucket.next_waiter()
        if waiter is not None:
            bucket.waiters.popleft()
            bucket.busy.add(pooled)
            waiter.future.set_result(pooled)
        elif bucket.open > limit:
            self.quit(pooled.session)
            self.free_slot(bucket)
        else:
            pooled.idle_since = time.monotonic()
            bucket.idle.append(pooled)
            self._start_reaper()

    def free_slot(self, bucket: Bucket) -> None:
        """A session of ``bucket`` is gone: let waiters in, forget the bucket when empty."""
        bucket.open -= 1
        while (waiter := bucket.next_waiter()) is not None:
            if bucket.idle:
                bucket.waiters.popleft()
                waiter.future.set_result(self._take_idle(bucket))
            elif bucket.open < waiter.limit:
                bucket.open += 1
                bucket.waiters.popleft()
                waiter.future.set_result(None)
            else:
                break
        if bucket.empty() and self.buckets.get(bucket.key) is bucket:
            del self.buckets[bucket.key]

    def _take_idle(self, bucket: Bucket) -> PooledSession | None:
        """The most recently used idle session, or ``None`` (its slot, to open a new one) when
        the server has already closed it."""
        pooled = bucket.idle.pop()
        if pooled.session.is_connected:
            bucket.busy.add(pooled)
            return pooled
        pooled.session.abort()
        self.counts["discarded"] += 1
        return None

    # -- closing: all at once ---------------------------------------------------------------

    def turn_away(self, error: Callable[[], BaseException]) -> list[PooledSession]:
        """Fail every waiter with ``error()``; take out every idle session, slot included."""
        idle: list[PooledSession] = []
        for bucket in self.buckets.values():
            while bucket.waiters:
                waiter = bucket.waiters.popleft()
                if not waiter.future.done():
                    waiter.future.set_exception(error())
            idle += bucket.idle
            bucket.open -= len(bucket.idle)
            bucket.idle.clear()
        return idle

    def busy(self) -> Iterator[PooledSession]:
        """The busy sessions of every bucket."""
        for bucket in self.buckets.values():
            yield from bucket.busy

    def forget_empty(self) -> None:
        """Drop the buckets with no session, slot or waiter left."""
        self.buckets = {key: b for key, b in self.buckets.items() if not b.empty()}

    # -- closing sessions: QUIT in the background, idle expiry ------------------------------

    def quit(self, session: Session) -> None:
        """QUIT in the background (see :meth:`wait_for_quits`); drop at once once closed."""
        if self.closed:
            session.abort()
            return
        task = asyncio.get_running_loop().create_task(session.quit(), name="smtp-pool-quit")
        self._quitting.add(task)
        task.add_done_callback(self._quitting.discard)

    async def wait_for_quits(self) -> None:
        while self._quitting:
            await asyncio.gather(*self._quitting, return_exceptions=True)

    def expire(self, key: SmtpSettings) -> int:
        """QUIT the sessions of ``key`` idle for ``idle_seconds``; how many there were."""
        bucket = self.buckets.get(key)
        if bucket is None:
            return 0
        now = time.monotonic()
        expired = 0
        while bucket.idle and self._deadline(bucket.idle[0]) <= now:
            pooled = bucket.idle.pop(0)
            self.quit(pooled.session)
            self.counts["expired"] += 1
            expired += 1
            self.free_slot(bucket)
        return expired

    async def stop_reaper(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
            with suppress(asyncio.CancelledError):
                await self._reaper
            self._reaper = None

    def _start_reaper(self) -> None:
        if self._reaper is None or self._reaper.done():
            loop = asyncio.get_running_loop()
            self._reaper = loop.create_task(self._reap(), name="smtp-pool-reaper")

    async def _reap(self) -> None:
        """Close idle sessions as they expire; ends when none is idle."""
        while not self.closing:
            deadlines = [self._deadline(b.idle[0]) for b in self.buckets.values() if b.idle]
            if not deadlines:
                return
            delay = min(deadlines) - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            for key in list(self.buckets):
                self.expire(key)

    def _deadline(self, pooled: PooledSession) -> float:
        """When an idle session expires (the same sum for the reaper and for :meth:`expire`)."""
        return pooled.idle_since + self.idle_seconds
