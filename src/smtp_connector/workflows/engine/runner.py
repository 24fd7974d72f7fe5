"""The run engine of one process: executes runs it fired or claimed, keeps their leases, and
takes over runs whose process died (or whose timer is due).

``serve`` and ``worker`` each run one (``serve()``); a Request trigger hands its new runs to the
engine of the process that received it (``start``), so they begin at once without a poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from anyio import to_thread

from smtp_connector.logs import log_event
from smtp_connector.outbox.faults import describe
from smtp_connector.workflows.actions.base import ActionEnv
from smtp_connector.workflows.definition.model import Definition
from smtp_connector.workflows.engine.context import RunContext, RunState, run_outputs
from smtp_connector.workflows.engine.executor import Executor, RunOutcome
from smtp_connector.workflows.engine.records import ActionResult
from smtp_connector.workflows.engine.rows import LeaseLost, RunLease, StoredRun
from smtp_connector.workflows.engine.store import RunStore
from smtp_connector.workflows.statuses import Status

DefinitionSource = Callable[[str, int], Awaitable[Definition]]
CallbackUrls = Callable[[str], str]

MAX_BACKOFF_SECONDS = 30.0


async def first_of(wake: asyncio.Event, stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds``, or less when ``wake`` or ``stop`` is set."""
    waits = [asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait())]
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()


@dataclass
class _Active:
    lease: RunLease
    task: asyncio.Task[None] | None = None
    cancel_requested: bool = False
    waiting: bool = False
    """The run went to sleep (a Wait): a caller waiting for its Response goes on waiting."""


class _Sink:
    """The executor's ``Sink`` for one leased run."""

    def __init__(self, engine: RunEngine, lease: RunLease) -> None:
        self.engine = engine
        self.lease = lease
        self.pending: list[ActionResult] = []
        """Records written with the next write (see ``record``)."""

    async def record(
        self,
        result: ActionResult,
        *,
        variables: dict[str, Any] | None = None,
        response: dict[str, Any] | None = None,
        deferrable: bool = False,
    ) -> None:
        """Write ``result`` now, or, when ``deferrable`` (the record of an action that is safe
        to run again: a finished Send Email, which its idempotency key replays), with the next
        write: often the run's end, one transaction fewer per run."""
        if deferrable and variables is None and response is None:
            self.pending.append(result)
            return
        results, self.pending = [*self.pending, result], []
        await self.engine.runs.record(self.lease, results, variables, response)

    def cancel_requested(self) -> bool:
        active = self.engine.active.get(self.lease.run)
        return active is not None and active.cancel_requested


class RunEngine:
    def __init__(
        self,
        runs: RunStore,
        definitions: DefinitionSource,
        env: ActionEnv,
        *,
        name: str,
        lease_seconds: float,
        concurrency: int,
        poll_seconds: float,
        retention: timedelta | None,
        callback_urls: CallbackUrls = lambda _: "",
    ) -> None:
        self.runs = runs
        self.definitions = definitions
        self.env = env
        self.name = name
        self.lease_seconds = lease_seconds
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self.retention = retention
        self.callback_urls = callback_urls
        self.active: dict[str, _Active] = {}
        self.responses: dict[str, asyncio.Future[dict[str, Any] | None]] = {}
        self._slots = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._purged_at = 0.0
        self.running = False
        self.last_error: str | None = None
        """Why the last turn of the loop failed; None once a turn worked."""

    @property
    def health(self) -> str | None:
        """None while the engine runs and reaches the database; else what is wrong."""
        if not self.running:
            return "The workflow run engine is not running."
        if self.last_error is not None:
            return f"The workflow run engine cannot take runs: {self.last_error}"
        return None

    # Starting runs.

    def start(
        self,
        lease: RunLease,
        response: asyncio.Future[dict[str, Any] | None] | None = None,
        known: StoredRun | None = None,
    ) -> None:
        """Execute a run this process holds; ``response`` gets the Response action's answer
        (or ``None`` when the run ends without one). ``known``: the run's row as this process
        just wrote or claimed it (its action records are read only if it has any)."""
        if response is not None:
            self.responses[lease.run] = response
        active = _Active(lease)
        self.active[lease.run] = active
        active.task = asyncio.ensure_future(self._execute(lease, known))
        # Not in the coroutine's ``finally``: a task cancelled before its first step never
        # runs it, and the run would stay "active" (its lease renewed) for ever.
        active.task.add_done_callback(lambda _task: self._forget(active))

    def forget_response(self, run: str) -> None:
        """The caller stopped waiting for ``run``'s Response (its time ran out)."""
        self.responses.pop(run, None)

    def wake(self) -> None:
        self._wake.set()

    async def _execute(self, lease: RunLease, known: StoredRun | None) -> None:
        try:
            async with self._slots:
                await self._run(lease, known)
        except LeaseLost:
            log_event("workflow.lease_lost", logging.WARNING, run=lease.run)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the run stays leased; another attempt after the lease
            log_event("workflow.run_error", logging.ERROR, run=lease.run, error=describe(exc))

    def _forget(self, active: _Active) -> None:
        """The run's task ended (finished, failed or cancelled): it is no longer ours, and a
        caller still waiting for a Response gets none."""
        if self.active.get(active.lease.run) is active:
            del self.active[active.lease.run]
        if active.waiting:  # resumed here when due, it may still answer
            return
        waiter = self.responses.pop(active.lease.run, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _run(self, lease: RunLease, known: StoredRun | None) -> None:
        records: list[ActionResult] = []
        if known is None:
            stored, records = await to_thread.run_sync(self.runs.load, lease.run)
        else:
            stored = known
            if known.attempts > 1:  # taken before: it may have finished actions
                records = await to_thread.run_sync(self.runs.records, lease.run)
        definition = await self.definitions(stored.workflow, stored.version)
        state = RunState(
            stored.id,
            stored.workflow,
            definition,
            stored.trigger,
            {k: dict(v) for k, v in stored.variables.items()},
            {(r.name, r.repetition): r for r in records},
            callback_url=lambda: self.callback_urls(stored.workflow),
            response_sent=stored.response is not None,
        )
        executor = Executor(state, self.env, _Sink(self, lease), self._respond(lease.run))
        sink = executor.sink
        outcome: RunOutcome = await executor.run()
        ended = outcome.status is not Status.WAITING
        await self.runs.finish(
            lease,
            outcome.status,
            outcome.code,
            outcome.error,
            outcome.wake_at,
            records=sink.pending if isinstance(sink, _Sink) else (),
            outputs=run_outputs(definition, RunContext(state)) if ended else None,
        )
        active = self.active.get(lease.run)
        if active is not None and active.lease == lease:
            active.waiting = outcome.status is Status.WAITING
        log_event(
            "workflow.run_finished" if outcome.status.finished else "workflow.run_waiting",
            logging.DEBUG,
            run=lease.run,
            status=outcome.status.value,
        )

    def _respond(self, run: str) -> Callable[[dict[str, Any]], None]:
        def answer(response: dict[str, Any]) -> None:
            waiter = self.responses.pop(run, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(response)

        return answer

    # The background loop.

    async def serve(self, stop: asyncio.Event) -> None:
        """Until ``stop``: renew leases, take due runs, purge old ones. Faults are logged and
        retried with a growing pause; the loop never ends on its own."""
        backoff = self.poll_seconds
        keeper = asyncio.ensure_future(self._keep_leases(stop))
        self.running = True
        try:
            while not stop.is_set():
                try:
                    took = await self._claim()
                    await self._purge()
                    backoff = self.poll_seconds
                    self.last_error = None
                except Exception as exc:
                    self.last_error = describe(exc)
                    log_event("workflow.claim_failed", logging.WARNING, error=self.last_error)
                    took = 0
                    backoff = min(MAX_BACKOFF_SECONDS, backoff * 2)
                if took == 0:
                    self._wake.clear()
                    await first_of(self._wake, stop, backoff)
        finally:
            self.running = False
            keeper.cancel()
            await asyncio.gather(keeper, return_exceptions=True)

    async def _claim(self) -> int:
        free = self.concurrency - len(self.active)
        if free <= 0:
            return 0
        claimed = await to_thread.run_sync(
            self.runs.claim, self.name, min(free, 32), self.lease_seconds
        )
        for stored, token in claimed:
            self.start(RunLease(stored.id, token), known=stored)
        return len(claimed)

    async def _purge(self) -> None:
        if self.retention is None:
            return
        loop = asyncio.get_running_loop()
        if loop.time() - self._purged_at < 60:
            return
        self._purged_at = loop.time()
        before = datetime.now(UTC) - self.retention
        await to_thread.run_sync(self.runs.purge, before)

    async def _keep_leases(self, stop: asyncio.Event) -> None:
        interval = self.lease_seconds / 3
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
            leases = [a.lease for a in self.active.values()]
            if not leases:
                continue
            try:
                held = await to_thread.run_sync(self.runs.extend, leases, self.lease_seconds)
            except Exception as exc:
                log_event("workflow.lease_renewal_failed", logging.WARNING, error=describe(exc))
                continue
            self.renewed(leases, held)

    def renewed(self, leases: list[RunLease], held: dict[str, bool]) -> None:
        """Act on a renewal of ``leases``: a run whose lease another process took stops, one
        whose cancellation was asked for stops at its next action. Runs started while the
        renewal ran were not in it, and are left alone."""
        for lease in leases:
            active = self.active.get(lease.run)
            if active is None or active.lease != lease:
                continue
            if lease.run not in held:
                if active.task is not None:
                    active.task.cancel()
            elif held[lease.run]:
                active.cancel_requested = True

    async def close(self) -> None:
        """Stop executing: running runs are released for another process to resume."""
        for active in list(self.active.values()):
            if active.task is not None:
                active.task.cancel()
        tasks = [a.task for a in self.active.values() if a.task is not None]
        leases = [a.lease for a in self.active.values()]
        await asyncio.gather(*tasks, return_exceptions=True)
        for lease in leases:
            try:
                await to_thread.run_sync(self.runs.release, lease)
            except Exception as exc:
                log_event("workflow.release_failed", logging.WARNING, error=describe(exc))
