"""Group commit: units of work from many callers committed together, one transaction for many.

A commit costs a disk flush (SQLite with ``synchronous=FULL``) or a round trip and a WAL flush
(PostgreSQL), whatever it holds. Under load, callers that each committed their own small
transaction queue behind one another; here they hand their unit of work to one writer thread,
which runs every unit waiting at that moment in one transaction and commits once. No caller is
answered before the commit that holds its work: what a caller is told is committed, is.

Nothing waits on purpose to fill a batch: while one commit is being flushed, the next callers'
work queues up and goes into the next one, so a lone caller pays one ordinary commit, and many
callers share commits.

A unit of work that raises spoils its transaction (PostgreSQL refuses every statement after an
error). Then the batch is rolled back and each unit is run again alone, in its own transaction,
so that only the failing unit's caller gets its error. Units must therefore be safe to run again
after a rollback: they compute everything from their arguments and the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from smtp_connector.logs import log_event
from smtp_connector.store.db import Database

T = TypeVar("T")
Work = Callable[[Session], T]

MAX_BATCH = 256
"""Units of work in one transaction at most (bounds a transaction's size and lock time)."""
IDLE_SECONDS = 60.0
"""The writer thread ends after this long without work (the next unit starts another)."""


class _Job(Generic[T]):
    """One unit of work and where its outcome goes: a ``concurrent.futures.Future`` for a
    thread (``submit``), or an asyncio future on its event loop (``run_async``)."""

    __slots__ = ("done", "loop", "waiter", "work")

    def __init__(
        self,
        work: Work[T],
        done: Future[T] | None = None,
        waiter: tuple[asyncio.AbstractEventLoop, asyncio.Future[T]] | None = None,
    ) -> None:
        self.work = work
        self.done = done
        self.loop: asyncio.AbstractEventLoop | None = None
        self.waiter: asyncio.Future[T] | None = None
        if waiter is not None:
            self.loop, self.waiter = waiter

    def start(self) -> bool:
        """False when the caller gave up before the unit ran (it is then left out)."""
        if self.done is not None:
            return self.done.set_running_or_notify_cancel()
        return self.waiter is not None and not self.waiter.cancelled()


def _settle(outcomes: list[tuple[_Job[Any], Any, BaseException | None]]) -> None:
    """Hand each job its result or error: thread futures at once; the asyncio futures of one
    event loop in one callback on that loop (one wake-up per batch, not one per unit)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Job[Any], Any, BaseException | None]]]
    by_loop = {}
    for job, result, error in outcomes:
        if job.done is not None:
            if error is None:
                job.done.set_result(result)
            else:
                job.done.set_exception(error)
        elif job.loop is not None:
            by_loop.setdefault(job.loop, []).append((job, result, error))
    for loop, items in by_loop.items():
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody is waiting any more
            loop.call_soon_threadsafe(_wake, items)


def _wake(items: list[tuple[_Job[Any], Any, BaseException | None]]) -> None:
    """On the waiters' event loop: set each future not already cancelled."""
    for job, result, error in items:
        waiter = job.waiter
        if waiter is None or waiter.done():
            continue
        if error is None:
            waiter.set_result(result)
        else:
            waiter.set_exception(error)


class GroupCommit:
    """One writer thread committing batches of units of work; see the module docstring.

    ``submit`` may be called from any thread or from the event loop; ``run`` waits in a thread,
    ``run_async`` in a coroutine. The thread starts with the first unit of work and stops at
    ``close``; a unit submitted after that starts it again.
    """

    def __init__(self, db: Database, *, max_batch: int = MAX_BATCH) -> None:
        self._db = db
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job[Any] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.commits = 0
        """Transactions committed so far (for tests and statistics)."""
        self.units = 0
        """Units of work committed so far."""

    @property
    def pending(self) -> int:
        """Units of work queued and not yet taken into a transaction."""
        return self._queue.qsize()

    def submit(self, work: Work[T]) -> Future[T]:
        """Queue ``work``; the future has its result once the transaction holding it committed,
        or its error (the unit's own, or the commit's)."""
        done: Future[T] = Future()
        self._queue_job(_Job(work, done=done))
        return done

    def run(self, work: Work[T]) -> T:
        """``work``'s result once committed (blocks; not from the writer thread itself)."""
        return self.submit(work).result()

    async def run_async(self, work: Work[T]) -> T:
        """``work``'s result once committed, awaited on the caller's event loop (woken with the
        rest of its batch, without a thread future per unit)."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[T] = loop.create_future()
        self._queue_job(_Job(work, waiter=(loop, waiter)))
        return await waiter

    def _queue_job(self, job: _Job[Any]) -> None:
        with self._lock:
            self._queue.put(job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="group-commit", daemon=True)
                self._thread.start()

    def close(self) -> None:
        """Commit what is queued, then stop the writer thread (it ends when the queue is empty;
        the next ``submit`` starts another)."""
        with self._lock:
            thread = self._thread
            if thread is not None:
                self._queue.put(None)
        if thread is not None:
            thread.join()

    def _loop(self) -> None:
        """Take what is queued, up to ``max_batch`` units, and commit it; end when the queue is
        empty after ``close`` or after ``IDLE_SECONDS`` without work. The queue is seen empty
        under the lock that ``submit`` queues under, so no unit is ever left behind."""
        closing = False
        while True:
            batch: list[_Job[Any]] = []
            try:
                while len(batch) < self._max_batch:
                    if batch or closing:
                        job = self._queue.get_nowait()
                    else:
                        job = self._queue.get(timeout=IDLE_SECONDS)
                    if job is None:
                        closing = True
                    else:
                        batch.append(job)
            except queue.Empty:
                pass
            if batch:
                try:
                    self._commit(batch)
                except Exception as exc:  # a bug here must not strand every later caller
                    log_event("store.group_commit_crashed", logging.ERROR, error=type(exc).__name__)
                    unsettled = [job for job in batch if job.done is None or not job.done.done()]
                    _settle([(job, None, exc) for job in unsettled])
                continue
            with self._lock:
                if self._queue.empty():
                    self._thread = None
                    return

    def _commit(self, batch: list[_Job[Any]]) -> None:
        live = [job for job in batch if job.start()]
        if not live:
            return
        results: list[Any] = []
        unit_failed = False
        try:
            with self._db.session() as session:
                for job in live:
                    try:
                        results.append(job.work(session))
                    except Exception:
                        unit_failed = True
                        raise
        except Exception as exc:
            if unit_failed and len(live) > 1:
                # one unit failed: each alone, so that only its caller hears
                _settle([self._alone(job) for job in live])
                return
            if len(live) > 1:  # no transaction, or its commit failed: every unit with it
                # Each caller logs the error itself; here only that it hit a whole batch.
                kind = type(exc).__name__
                log_event("store.group_commit_failed", logging.WARNING, units=len(live), error=kind)
            _settle([(job, None, exc) for job in live])
            return
        self.commits += 1
        self.units += len(live)
        _settle([(job, result, None) for job, result in zip(live, results, strict=True)])

    def _alone(self, job: _Job[Any]) -> tuple[_Job[Any], Any, BaseException | None]:
        try:
            with self._db.session() as session:
                result = job.work(session)
        except Exception as exc:
            return job, None, exc
        self.commits += 1
        self.units += 1
        return job, result, None
