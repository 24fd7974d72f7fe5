"""Polling triggers: Salesforce "When a record is created" (``onnewitems``) and "When a record
is modified" (``onupdateditems``).

A poll is a Recurrence tick with a question: the scheduler claims the tick (its clock moves on
in that transaction), then :class:`Poller` asks Salesforce, outside any transaction, for the
records past the trigger's watermark (:mod:`smtp_connector.salesforce.polling`). One
transaction then commits the runs (one per record with ``splitOn``), the history entry and the
new watermark, but only if the watermark is still the one the poll started from: a poll that
lost that race (another process, or a slow poll overlapping the next tick) commits nothing.
A process killed after the poll and before that commit leaves the watermark where it was, so
the next poll finds the same records: every record starts exactly one run.

A failed poll (Salesforce refused, did not answer, or its limit is used up) is a Failed history
entry with the reason; the watermark stays, and a retryable failure waits longer each time
(doubling from one second up to ``MAX_BACKOFF``) before the next poll.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from anyio import to_thread
from sqlalchemy import select
from sqlalchemy.orm import Session

from smtp_connector.errors import ConnectorError, InvalidInput
from smtp_connector.logs import log_event
from smtp_connector.salesforce.client import SalesforceClient
from smtp_connector.salesforce.connections import SalesforceConnectionStore
from smtp_connector.salesforce.polling import MAX_RECORDS, Watermark, advance, soql_datetime
from smtp_connector.store.workflow_tables import TriggerStateRow
from smtp_connector.workflows.definition.salesforce import SalesforcePoll
from smtp_connector.workflows.engine.records import iso
from smtp_connector.workflows.engine.rows import RunLease
from smtp_connector.workflows.statuses import Status
from smtp_connector.workflows.triggers.firing import Fired, prepare_runs

if TYPE_CHECKING:
    from smtp_connector.workflows.definition.model import Definition, TriggerSpec
    from smtp_connector.workflows.service import WorkflowService

MAX_BACKOFF = 300.0
"""Longest wait after failed polls in a row (seconds)."""
DESCRIBE_SECONDS = 300.0
"""How long an object's field list (for a trigger without ``$select``) is reused."""


@dataclass(frozen=True)
class PollJob:
    """A claimed tick of a polling trigger, and the watermark it was claimed with."""

    workflow: str
    version: int
    trigger: str
    scheduled: datetime
    watermark: dict[str, Any] | None


class Poller:
    """Runs polls for this process; keeps one Salesforce client (and token) per connection."""

    def __init__(self, service: WorkflowService, salesforce: SalesforceConnectionStore) -> None:
        self.service = service
        self.salesforce = salesforce
        self._clients: dict[str, tuple[object, SalesforceClient]] = {}
        self._fields: dict[tuple[str, str], tuple[float, tuple[str, ...]]] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._clients_lock = asyncio.Lock()

    async def close(self) -> None:
        for _key, client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    async def client(self, connection: str) -> SalesforceClient:
        """The connection's client; a new one when the connection was changed (polls of two
        triggers on one connection share it, and its token)."""
        stored = await to_thread.run_sync(self.salesforce.get, connection)
        key = (stored.updated_at, stored.login_url)
        async with self._clients_lock:
            cached = self._clients.get(connection)
            if cached is not None and cached[0] == key:
                return cached[1]
            client = SalesforceClient(self.salesforce.credentials(stored), self.salesforce.hosts)
            self._clients[connection] = (key, client)
        if cached is not None:
            await cached[1].aclose()
        return client

    async def fields(self, client: SalesforceClient, poll: SalesforcePoll) -> tuple[str, ...]:
        """Every field of the poll's object (``describe``), for a trigger without $select."""
        key = (poll.connection, poll.sobject.casefold())
        now = datetime.now(UTC).timestamp()
        cached = self._fields.get(key)
        if cached is not None and now - cached[0] < DESCRIBE_SECONDS:
            return cached[1]
        described = await client.describe(poll.sobject)
        names = tuple(
            str(f["name"]) for f in described["fields"] if isinstance(f, dict) and "name" in f
        )
        self._fields[key] = (now, names)
        return names

    async def check(self, poll: SalesforcePoll, at: str) -> None:
        """Check the object and the fields the trigger names against ``describe``; raises
        InvalidInput (at ``at``) for what Salesforce does not have. Salesforce not answering
        is not an error here: the first poll will say."""
        try:
            client = await self.client(poll.connection)
            described = await client.describe(poll.sobject)
        except ConnectorError as exc:
            if exc.code == "not_found":
                raise InvalidInput.field(
                    at + "/inputs/path", f"Salesforce has no object named {poll.sobject!r}."
                ) from exc
            return
        # A relationship path (Owner.Name) starts with the field's relationshipName.
        known = {
            str(f.get(key) or "").casefold()
            for f in described["fields"]
            if isinstance(f, dict)
            for key in ("name", "relationshipName")
        }
        for role, names in (("$select", poll.selected or ()), ("$filter", poll.filter_fields)):
            unknown = [n for n in names if n.split(".")[0].casefold() not in known]
            if unknown:
                raise InvalidInput.field(
                    f"{at}/inputs/queries/{role}",
                    f"{poll.sobject} has no field {', '.join(unknown)} (Salesforce's describe).",
                )

    async def baseline(self, poll: SalesforcePoll) -> Watermark:
        """Where a trigger enabled now starts: this second, with the records already in it
        counted as seen. Without Salesforce's answer, every record of this second is."""
        now = datetime.now(UTC)
        start = Watermark.starting(now, None)
        try:
            client = await self.client(poll.connection)
            soql = (
                f"SELECT Id FROM {poll.sobject} "  # noqa: S608 (a checked object name)
                f"WHERE {poll.stamp} = {soql_datetime(start.at)}"
            )
            ids = [r["Id"] async for page in client.query(soql) for r in page if "Id" in r]
        except ConnectorError as exc:
            log_event("trigger.poll_baseline_failed", logging.WARNING, error=exc.code)
            return start
        return Watermark.starting(now, [str(i) for i in ids])

    async def starts(self, definition: Definition, enabled: bool) -> dict[str, dict[str, Any]]:
        """Check each polling trigger against Salesforce (InvalidInput for an object or field
        it does not have) and, when the workflow is enabled now, where each starts."""
        starts: dict[str, dict[str, Any]] = {}
        for name, spec in definition.triggers.items():
            if spec.poll is None:
                continue
            await self.check(spec.poll, spec.pointer)
            if enabled:
                starts[name] = (await self.baseline(spec.poll)).to_json()
        return starts

    async def run(self, job: PollJob) -> Fired:
        """Poll once for a claimed tick and commit what it found; never raises for
        Salesforce's faults (they go to the trigger's history). A tick of a trigger this
        process is polling already is left to that poll."""
        lock = self._lock(job.workflow, job.trigger)
        if lock.locked():
            return Fired([], False)
        async with lock:
            return await self._run(job)

    async def run_now(self, workflow: str, version: int, trigger: str) -> Fired:
        """Poll at once (the trigger-run endpoint), after any poll of it in flight here, from
        the watermark as it is then."""
        async with self._lock(workflow, trigger):
            mark = await to_thread.run_sync(self.service.store.watermark, workflow, trigger)
            return await self._run(PollJob(workflow, version, trigger, datetime.now(UTC), mark))

    def _lock(self, workflow: str, trigger: str) -> asyncio.Lock:
        return self._locks.setdefault((workflow, trigger), asyncio.Lock())

    async def _run(self, job: PollJob) -> Fired:
        definition = await self.service.definition(job.workflow, job.version)
        spec = definition.trigger(job.trigger)
        if spec is None or spec.poll is None:
            return Fired([], False)
        poll = spec.poll
        mark = Watermark.from_json(job.watermark) or Watermark.starting(job.scheduled, None)
        started = datetime.now(UTC)
        try:
            client = await self.client(poll.connection)
            fields = poll.selected or await self.fields(client, poll)
            query = poll.query(tuple(fields))
            found: list[dict[str, Any]] = []
            async for page in client.query(query.soql(mark)):
                found.extend(page)
                if len(found) >= MAX_RECORDS:
                    break
        except ConnectorError as exc:
            log_event(
                "trigger.poll_failed",
                logging.WARNING,
                workflow=job.workflow,
                trigger=job.trigger,
                error=exc.code,
            )
            failure = exc
            await self.service.runs.transaction(
                lambda session: self._failed(session, job, spec, mark, failure, started)
            )
            return Fired([], False)
        fresh, after = advance(mark, found, query.stamp)
        ids, leases = await self.service.runs.transaction(
            lambda session: self._commit(session, job, definition, spec, fresh, after, started)
        )
        engine = self.service.engine
        if engine is not None:
            for lease in leases:
                engine.start(lease)
        if fresh:
            log_event(
                "trigger.poll_fired",
                workflow=job.workflow,
                trigger=job.trigger,
                records=len(fresh),
                runs=len(ids),
            )
        return Fired(ids, bool(ids))

    def _state(self, session: Session, job: PollJob) -> TriggerStateRow | None:
        """The trigger's clock row, locked; None when the poll lost the race (the watermark
        moved since the tick was claimed) or the trigger is gone."""
        query = select(TriggerStateRow).where(
            TriggerStateRow.workflow == job.workflow, TriggerStateRow.trigger == job.trigger
        )
        if self.service.runs.dialect == "postgresql":
            query = query.with_for_update()
        state = session.scalar(query)
        if state is None or (state.watermark or None) != (job.watermark or None):
            log_event(
                "trigger.poll_superseded",
                logging.INFO,
                workflow=job.workflow,
                trigger=job.trigger,
            )
            return None
        return state

    def _commit(
        self,
        session: Session,
        job: PollJob,
        definition: Definition,
        spec: TriggerSpec,
        fresh: list[dict[str, Any]],
        after: Watermark,
        started: datetime,
    ) -> tuple[list[str], list[RunLease]]:
        state = self._state(session, job)
        if state is None:
            return [], []
        state.watermark = after.to_json()
        now = self.service.runs.clock(session)
        history: dict[str, Any] = {
            "trigger": spec.name,
            "startedAt": started,
            "scheduledAt": job.scheduled,
            "records": len(fresh),
        }
        records: list[dict[str, Any]] = []
        if fresh:
            record = _trigger_record(spec.name, job.scheduled, started, now, fresh)
            records = prepare_runs(spec, record, history)
        else:
            history["status"] = Status.SKIPPED.value
        return self.service.create_runs_in(session, job.workflow, job.version, records, history)

    def _failed(
        self,
        session: Session,
        job: PollJob,
        spec: TriggerSpec,
        mark: Watermark,
        error: ConnectorError,
        started: datetime,
    ) -> None:
        state = self._state(session, job)
        if state is None:
            return
        failed = mark.failed()
        state.watermark = failed.to_json()
        now = self.service.runs.clock(session)
        if getattr(error, "retryable", False) and state.next_run_at is not None:
            wait = timedelta(seconds=min(MAX_BACKOFF, 2.0 ** min(failed.failures, 16)))
            state.next_run_at = max(state.next_run_at, now + wait)
        problem = {"code": error.code, "message": error.message}
        if error.hint:
            problem["hint"] = error.hint
        history = {
            "trigger": spec.name,
            "startedAt": started,
            "scheduledAt": job.scheduled,
            "status": Status.FAILED.value,
            "code": error.code,
            "error": problem,
        }
        self.service.create_runs_in(session, job.workflow, job.version, [], history)


def _trigger_record(
    name: str,
    scheduled: datetime,
    started: datetime,
    now: datetime,
    records: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "name": name,
        "inputs": {},
        "outputs": {"headers": {}, "body": {"value": records}, "statusCode": 200},
        "startTime": iso(started),
        "endTime": iso(now),
        "scheduledTime": iso(scheduled),
        "status": Status.SUCCEEDED.value,
        "code": "OK",
        "trackingId": None,
        "clientTrackingId": None,
    }
