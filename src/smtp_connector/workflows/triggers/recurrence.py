"""The Recurrence trigger: each workflow's scheduled triggers keep their next tick in
``workflow_triggers``; the ``Scheduler`` of every process fires due ticks. Polling triggers
(``ApiConnection``, Salesforce) tick the same way; their tick is claimed here and polled by
``polling.Poller``.

A tick is fired in the transaction that moves the trigger's clock on and commits its runs, with
a row lock (PostgreSQL ``FOR UPDATE SKIP LOCKED``; SQLite has one writer): each tick fires once,
however many processes share the database. Ticks missed while nothing ran are not replayed: one
catch-up run at most (``Recurrence.due``).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smtp_connector.logs import log_event
from smtp_connector.outbox.faults import describe
from smtp_connector.store.workflow_tables import TriggerStateRow, WorkflowRow
from smtp_connector.workflows.definition.model import Definition
from smtp_connector.workflows.engine.records import iso
from smtp_connector.workflows.engine.rows import RunLease
from smtp_connector.workflows.engine.runner import first_of
from smtp_connector.workflows.schedule.recurrence import Recurrence
from smtp_connector.workflows.statuses import Status
from smtp_connector.workflows.triggers.firing import prepare_runs
from smtp_connector.workflows.triggers.polling import PollJob

if TYPE_CHECKING:
    from smtp_connector.workflows.triggers.polling import Poller

if TYPE_CHECKING:
    from smtp_connector.workflows.service import WorkflowService
    from smtp_connector.workflows.store import Clocks

LONGEST_SLEEP = 5.0
"""The scheduler looks again at least this often (a workflow saved by another process)."""
BATCH = 50


SCHEDULED = ("Recurrence", "ApiConnection")
"""Trigger types that tick on a ``recurrence``."""
MAX_POLLS = 16
"""Polls one process runs at once."""


def recurrences(definition: Definition) -> dict[str, Recurrence]:
    return {
        name: Recurrence.parse(spec.raw.get("recurrence"))
        for name, spec in definition.triggers.items()
        if spec.type in SCHEDULED
    }


def clocks_of(definition: Definition) -> Clocks:
    """The first tick of each Recurrence trigger, for ``WorkflowStore.put``/``set_state``."""
    schedule = recurrences(definition)

    def clocks(now: datetime, enabled_at: datetime) -> dict[str, datetime | None]:
        return {
            name: recurrence.first_at_or_after(now, anchor=enabled_at)
            for name, recurrence in schedule.items()
        }

    return clocks


def trigger_record(name: str, scheduled: datetime, now: datetime) -> dict[str, Any]:
    return {
        "name": name,
        "inputs": {},
        "outputs": {},
        "startTime": iso(now),
        "endTime": iso(now),
        "scheduledTime": iso(scheduled),
        "status": Status.SUCCEEDED.value,
        "code": "OK",
        "trackingId": None,
        "clientTrackingId": None,
    }


class Scheduler:
    """Fires this database's due Recurrence ticks; one per process, any number of processes."""

    def __init__(
        self, service: WorkflowService, poll_seconds: float, poller: Poller | None = None
    ) -> None:
        self.service = service
        self.poll_seconds = poll_seconds
        self.poller = poller
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._polls: set[asyncio.Task[Any]] = set()
        self.running = False
        self.last_error: str | None = None
        """Why the last turn of the loop failed; None once a turn worked."""

    @property
    def health(self) -> str | None:
        """None while the scheduler runs and reaches the database; else what is wrong."""
        if not self.running:
            return "The workflow scheduler is not running."
        if self.last_error is not None:
            return f"The workflow scheduler cannot fire scheduled triggers: {self.last_error}"
        return None

    def wake(self) -> None:
        """Look again now (a workflow was saved); safe to call from any thread."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def serve(self, stop: asyncio.Event) -> None:
        """Until ``stop``: fire due ticks, sleep until the next one (at most ``LONGEST_SLEEP``);
        faults are logged and retried with a growing pause."""
        self._loop = asyncio.get_running_loop()
        self.service.scheduler = self
        backoff = self.poll_seconds
        self.running = True
        try:
            await self._serve(stop, backoff)
        finally:
            self.running = False
        for task in list(self._polls):
            task.cancel()
        if self._polls:
            await asyncio.gather(*self._polls, return_exceptions=True)

    async def _serve(self, stop: asyncio.Event, backoff: float) -> None:
        while not stop.is_set():
            try:
                leases, jobs, next_at = await self.service.runs.transaction(self._tick)
                engine = self.service.engine
                if engine is not None:
                    for lease in leases:
                        engine.start(lease)
                for job in jobs:
                    self._start_poll(job)
                sleep = LONGEST_SLEEP
                if next_at is not None:
                    sleep = min(sleep, max(0.05, (next_at - datetime.now(UTC)).total_seconds()))
                backoff = self.poll_seconds
                self.last_error = None
            except Exception as exc:
                self.last_error = describe(exc)
                log_event("workflow.schedule_failed", logging.WARNING, error=self.last_error)
                backoff = min(30.0, backoff * 2)
                sleep = backoff
            self._wake.clear()
            await first_of(self._wake, stop, sleep)

    def _start_poll(self, job: PollJob) -> None:
        """Poll in the background (at most ``MAX_POLLS`` at once; a tick past that waits for
        the next one: its clock has moved on, and the watermark did not)."""
        if self.poller is None or len(self._polls) >= MAX_POLLS:
            return
        task = asyncio.create_task(self.poller.run(job))
        self._polls.add(task)
        task.add_done_callback(self._poll_done)

    def _poll_done(self, task: asyncio.Task[Any]) -> None:
        self._polls.discard(task)
        error = None if task.cancelled() else task.exception()
        if error is not None:
            log_event("trigger.poll_crashed", logging.ERROR, error=describe(error))
            self.wake()

    def _tick(self, session: Session) -> tuple[list[RunLease], list[PollJob], datetime | None]:
        """Fire every due tick (one transaction): runs, history and the clocks move together;
        a polling trigger's tick is claimed and handed back as a job."""
        runs = self.service.runs
        now = runs.clock(session)
        query = (
            select(TriggerStateRow)
            .where(TriggerStateRow.next_run_at <= now)
            .order_by(TriggerStateRow.next_run_at)
            .limit(BATCH)
        )
        if runs.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        leases: list[RunLease] = []
        jobs: list[PollJob] = []
        for state in session.scalars(query).all():
            fired = self._fire(session, state, now)
            if isinstance(fired, PollJob):
                jobs.append(fired)
            else:
                leases.extend(fired)
        next_at = session.scalar(select(func.min(TriggerStateRow.next_run_at)))
        return leases, jobs, next_at

    def _fire(
        self, session: Session, state: TriggerStateRow, now: datetime
    ) -> list[RunLease] | PollJob:
        workflow = session.get(WorkflowRow, state.workflow)
        assert state.next_run_at is not None
        if workflow is None or workflow.state != "Enabled":
            state.next_run_at = None
            return []
        stored = self.service.store.get_in(session, workflow)
        definition = self.service.definition_of(stored)
        spec = definition.trigger(state.trigger)
        if spec is None or spec.type not in SCHEDULED:
            session.delete(state)
            return []
        recurrence = recurrences(definition)[spec.name]
        due = recurrence.due(state.next_run_at, now, anchor=workflow.enabled_at or now)
        state.next_run_at = due.next_run_at
        if due.fire is None:
            return []
        state.last_run_at = due.fire
        if spec.type == "ApiConnection":
            watermark = dict(state.watermark) if state.watermark else None
            return PollJob(stored.name, stored.version, spec.name, due.fire, watermark)
        record = trigger_record(spec.name, due.fire, now)
        history: dict[str, Any] = {"trigger": spec.name, "startedAt": now, "scheduledAt": due.fire}
        records = prepare_runs(spec, record, history)
        _ids, leases = self.service.create_runs_in(
            session, stored.name, stored.version, records, history
        )
        log_event(
            "workflow.recurrence_fired",
            logging.DEBUG,
            workflow=stored.name,
            trigger=spec.name,
            scheduled=due.fire.isoformat(),
            runs=len(records),
        )
        return leases
