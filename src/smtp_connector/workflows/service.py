"""The workflows' domain verbs, for the HTTP API and the CLI: save, read, enable, fire, run.

Definitions are parsed once per saved version and kept (a run reads its version's compiled
form). Firing a trigger commits the runs and the trigger's history entry in one transaction,
then hands the runs to this process's run engine.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from anyio import to_thread
from sqlalchemy.orm import Session

from smtp_connector.connections import ConnectionStore
from smtp_connector.errors import InvalidInput, TriggerNotFound, WorkflowDisabled
from smtp_connector.workflows.definition.model import Definition, TriggerSpec
from smtp_connector.workflows.definition.parse import parse_definition
from smtp_connector.workflows.definition.problems import Problems
from smtp_connector.workflows.documents import WorkflowDocument, check_name, parse_document
from smtp_connector.workflows.engine.records import iso
from smtp_connector.workflows.engine.rows import NewRun, RunLease
from smtp_connector.workflows.engine.runner import RunEngine
from smtp_connector.workflows.engine.store import RunStore
from smtp_connector.workflows.signing import callback, verify
from smtp_connector.workflows.statuses import Status
from smtp_connector.workflows.store import (
    DISABLED,
    ENABLED,
    StoredWorkflow,
    WorkflowStore,
)
from smtp_connector.workflows.triggers.firing import Fired, fresh_run, prepare_runs
from smtp_connector.workflows.triggers.polling import Poller
from smtp_connector.workflows.triggers.recurrence import Scheduler, clocks_of
from smtp_connector.workflows.triggers.request import HttpCall, trigger_outputs

INLINE_BODY_BYTES = 64 * 1024
"""A Request trigger's body up to this size is parsed on the event loop (less than a thread
hop costs); a larger one on a worker thread."""


class WorkflowService:
    def __init__(
        self,
        store: WorkflowStore,
        runs: RunStore,
        connections: ConnectionStore,
        *,
        owner: str,
        lease_seconds: float,
        cache_seconds: float,
        response_seconds: float,
    ) -> None:
        self.store = store
        self.runs = runs
        self.connections = connections
        self.owner = owner
        self.lease_seconds = lease_seconds
        self.cache_seconds = cache_seconds
        self.response_seconds = response_seconds
        self.engine: RunEngine | None = None
        self.scheduler: Scheduler | None = None
        self.poller: Poller | None = None
        """Polls Salesforce triggers (None: no Salesforce connections in this process)."""
        self.public_url: str | None = None
        """``PUBLIC_URL``: the service's address as callers reach it (else the request's)."""
        self.listen_url = "http://127.0.0.1:8080"
        """Where this process listens: callback URLs made during a run (``listCallbackUrl()``)
        use it when ``public_url`` is not set."""
        self._definitions: dict[tuple[str, int], Definition] = {}
        self._current: dict[str, tuple[float, StoredWorkflow, str]] = {}

    # Definitions.

    async def save(self, name: str, body: Any) -> tuple[StoredWorkflow, bool]:
        """Validate and save (a new version when it exists); raises ``WorkflowInvalid`` (400)
        listing every problem. Each polling trigger's object and fields are checked against
        Salesforce's ``describe``, and an enabled one starts from now."""
        document, definition = await to_thread.run_sync(self.validate, name, body)
        starts = await self._poll_starts(definition, document.state == ENABLED)
        return await to_thread.run_sync(self._put, name, document, definition, starts)

    async def set_state(self, name: str, enabled: bool) -> StoredWorkflow:
        """Enable or disable; enabling starts each polling trigger from now."""
        definition = await to_thread.run_sync(lambda: self.definition_of(self.store.get(name)))
        starts = await self._poll_starts(definition, enabled)
        state = ENABLED if enabled else DISABLED
        stored = await to_thread.run_sync(
            self.store.set_state, name, state, clocks_of(definition), starts
        )
        self._current.pop(name, None)
        if self.scheduler is not None:
            self.scheduler.wake()
        return stored

    async def _poll_starts(self, definition: Definition, enabled: bool) -> dict[str, Any]:
        if self.poller is None:
            return {}
        return await self.poller.starts(definition, enabled)

    def validate(self, name: str, body: Any) -> tuple[WorkflowDocument, Definition]:
        """The document and its checked definition; raises ``WorkflowInvalid`` (400) listing
        every problem."""
        problems = Problems()
        why = check_name(name)
        if why is not None:
            raise InvalidInput.field("name", why)
        document = parse_document(body, problems)
        problems.raise_if_any()
        definition = parse_definition(
            document.definition,
            document.parameters,
            lambda connection: self.connections.find(connection) is not None,
            at="" if document.bare else document.prefix + "/definition",
            at_parameters=document.prefix + "/parameters",
            salesforce=self._salesforce_exists,
        )
        return document, definition

    def _put(
        self,
        name: str,
        document: WorkflowDocument,
        definition: Definition,
        starts: dict[str, Any],
    ) -> tuple[StoredWorkflow, bool]:
        stored, created = self.store.put(
            name,
            dict(document.definition),
            document.parameters,
            document.state,
            document.extra,
            clocks_of(definition),
            starts,
        )
        self._definitions[(name, stored.version)] = definition
        self._current.pop(name, None)
        if self.scheduler is not None:
            self.scheduler.wake()
        return stored, created

    def _salesforce_exists(self, name: str) -> bool:
        return self.poller is not None and self.poller.salesforce.find(name) is not None

    def definition_of(self, stored: StoredWorkflow) -> Definition:
        key = (stored.name, stored.version)
        found = self._definitions.get(key)
        if found is None:
            found = parse_definition(stored.definition, stored.parameters, lambda _: True)
            if len(self._definitions) > 256:
                self._definitions.clear()
            self._definitions[key] = found
        return found

    async def definition(self, name: str, version: int) -> Definition:
        """The compiled definition of a saved version (a run's)."""
        found = self._definitions.get((name, version))
        if found is not None:
            return found
        definition, parameters = await to_thread.run_sync(self.store.version, name, version)
        compiled = await to_thread.run_sync(
            lambda: parse_definition(definition, parameters, lambda _: True)
        )
        self._definitions[(name, version)] = compiled
        return compiled

    def delete(self, name: str) -> None:
        self.store.delete(name)
        self._current.pop(name, None)

    async def current(self, name: str) -> tuple[StoredWorkflow, str]:
        """The saved workflow and its access key, cached for ``cache_seconds``."""
        now = time.monotonic()
        cached = self._current.get(name)
        if cached is not None and now - cached[0] < self.cache_seconds:
            return cached[1], cached[2]

        def read() -> tuple[StoredWorkflow, str]:
            return self.store.get(name), self.store.access_key(name)

        stored, key = await to_thread.run_sync(read)
        self._current[name] = (now, stored, key)
        return stored, key

    def trigger_spec(self, stored: StoredWorkflow, trigger: str) -> TriggerSpec:
        spec = self.definition_of(stored).trigger(trigger)
        if spec is None:
            raise TriggerNotFound(stored.name, trigger)
        return spec

    def callback_url(self, name: str, trigger: str, base_url: str) -> dict[str, object]:
        stored = self.store.get(name)
        spec = self.trigger_spec(stored, trigger)
        if spec.type != "Request":
            raise TriggerNotFound(name, trigger)
        relative = spec.inputs.get("relativePath")
        answer = callback(
            base_url,
            self.store.access_key(name),
            name,
            spec.name,
            relative if isinstance(relative, str) else None,
        )
        method = spec.inputs.get("method")
        answer["method"] = method.upper() if isinstance(method, str) else "POST"
        return answer

    def callback_value(self, name: str) -> str:
        """``listCallbackUrl()`` in a run: the URL of the workflow's (first) Request trigger."""
        cached = self._current.get(name)
        if cached is not None:
            stored, key = cached[1], cached[2]
        else:
            stored, key = self.store.get(name), self.store.access_key(name)
        request = next(
            (t for t in self.definition_of(stored).triggers.values() if t.type == "Request"), None
        )
        if request is None:
            return ""
        relative = request.inputs.get("relativePath")
        answer = callback(
            self.public_url or self.listen_url,
            key,
            name,
            request.name,
            relative if isinstance(relative, str) else None,
        )
        return str(answer["value"])

    def regenerate_access_key(self, name: str) -> None:
        self.store.regenerate_access_key(name)
        self._current.pop(name, None)

    # Firing.

    async def invoke(
        self,
        name: str,
        trigger: str,
        call: HttpCall,
        sp: str | None,
        sv: str | None,
        sig: str | None,
    ) -> tuple[StoredWorkflow, Fired] | None:
        """A call to a Request trigger's callback URL. ``None``: the signature is wrong (401,
        nothing recorded). Raises ``WorkflowDisabled`` (409), ``TriggerNotFound`` (404),
        ``InvalidInput`` (400: the body breaks the schema, the method or path is wrong)."""
        stored, key = await self.current(name)
        spec = self.trigger_spec(stored, trigger)
        if spec.type != "Request" or not verify(key, name, spec.name, sp, sv, sig):
            return None
        if not stored.enabled:
            raise WorkflowDisabled(name)
        if len(call.body) > INLINE_BODY_BYTES:  # parsing and schema checks are CPU work
            outputs = await to_thread.run_sync(trigger_outputs, spec, call)
        else:
            outputs = trigger_outputs(spec, call)
        has_response = any(
            a.type == "Response" for a in self.definition_of(stored).actions.values()
        )
        return stored, await self.fire(stored, spec, outputs, wait_response=has_response)

    async def fire(
        self,
        stored: StoredWorkflow,
        spec: TriggerSpec,
        outputs: dict[str, Any],
        *,
        wait_response: bool = False,
        scheduled: datetime | None = None,
    ) -> Fired:
        """Evaluate conditions and ``splitOn``, commit the runs with the history entry, start
        them here."""
        now = datetime.now(UTC)
        record = {
            "name": spec.name,
            "inputs": {},
            "outputs": outputs,
            "startTime": iso(now),
            "endTime": iso(now),
            "scheduledTime": iso(scheduled) if scheduled else None,
            "status": Status.SUCCEEDED.value,
            "code": "OK",
            "trackingId": None,
            "clientTrackingId": None,
        }
        history: dict[str, Any] = {"trigger": spec.name, "startedAt": now, "scheduledAt": scheduled}
        records = prepare_runs(spec, record, history)
        ids, leases = await self.runs.create_async(
            stored.name,
            stored.version,
            [NewRun(r) for r in records],
            history,
            owner=self.owner if self.engine is not None else None,
            lease_seconds=self.lease_seconds,
        )
        response: asyncio.Future[dict[str, Any] | None] | None = None
        waits = wait_response and len(ids) == 1 and "splitOn" not in spec.compiled
        if self.engine is not None:
            for lease, trigger in zip(leases, records, strict=True):
                future = asyncio.get_running_loop().create_future() if waits else None
                response = response or future
                self.engine.start(lease, future, fresh_run(stored, lease.run, trigger, now))
        if history.get("status") == Status.FAILED.value:
            raise InvalidInput.field("trigger", str(history["error"]["message"]))
        return Fired(ids, bool(ids), response)

    def create_runs_in(
        self,
        session: Session,
        workflow: str,
        version: int,
        records: list[dict[str, Any]],
        history: dict[str, Any],
    ) -> tuple[list[str], list[RunLease]]:
        """In the caller's transaction: a run per trigger record and the history entry that
        started them, leased to this process when it runs an engine (it starts them)."""
        owner = self.owner if self.engine is not None else None
        runs = [NewRun(r) for r in records]
        unit = self.runs.creation(workflow, version, runs, history, owner, self.lease_seconds)
        return unit(session)

    async def run_trigger(self, name: str, trigger: str) -> Fired:
        """Fire a trigger by hand (the admin API): a Request trigger with an empty body, a
        polling trigger polls now (from its watermark, as a tick would)."""
        stored, _ = await self.current(name)
        spec = self.trigger_spec(stored, trigger)
        if spec.type == "ApiConnection" and self.poller is not None:
            return await self.poller.run_now(name, stored.version, spec.name)
        outputs: dict[str, Any] = (
            {"headers": {}, "body": None, "queries": {}, "relativePathParameters": {}}
            if spec.type == "Request"
            else {}
        )
        return await self.fire(stored, spec, outputs, scheduled=datetime.now(UTC))

    async def resubmit(self, name: str, run_id: str) -> Fired:
        """A new run from an earlier run's trigger outputs."""
        run = await to_thread.run_sync(self.store.run, name, run_id)
        stored, _ = await self.current(name)
        self.trigger_spec(stored, str(run.trigger.get("name", "")))
        ids, leases = await self.runs.create_async(
            stored.name,
            stored.version,
            [NewRun(dict(run.trigger))],
            None,
            owner=self.owner if self.engine is not None else None,
            lease_seconds=self.lease_seconds,
        )
        if self.engine is not None:
            for lease in leases:
                self.engine.start(
                    lease, None, fresh_run(stored, lease.run, run.trigger, datetime.now(UTC))
                )
        return Fired(ids, True)
