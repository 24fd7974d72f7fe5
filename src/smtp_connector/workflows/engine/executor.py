"""Executing one run: the scopes' ``runAfter`` graphs, leaf actions, and the run's final status.

Execution is a replay: the actions a run already finished (their records, loaded from the
database) are not run again, their outputs are simply there; the rest runs and each outcome is
recorded (``Sink.record``) as it happens. So a run taken over after its process died goes on
where it stopped. Control actions keep their decisions (a branch, loop items, a timer) in their
record's ``state``, so a resume repeats them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from smtp_connector.logs import log_event
from smtp_connector.workflows.actions.base import (
    ActionEnv,
    Outcome,
    Step,
    Suspend,
    Terminate,
)
from smtp_connector.workflows.actions.catalog import LEAF_ACTIONS, SELF_EVALUATING
from smtp_connector.workflows.definition.model import ActionSpec, ScopeSpec
from smtp_connector.workflows.definition.types import CONTROL_TYPES
from smtp_connector.workflows.engine.context import RunContext, RunState
from smtp_connector.workflows.engine.records import (
    ACTION_FAILED,
    ActionResult,
    error,
    invalid_inputs,
    skipped_by_run_after,
)
from smtp_connector.workflows.expressions import ExpressionError
from smtp_connector.workflows.schedule.durations import parse_duration
from smtp_connector.workflows.statuses import Status


class Sink(Protocol):
    """Where the executor writes what happens (the run's lease-fenced store, in service)."""

    async def record(
        self,
        result: ActionResult,
        *,
        variables: dict[str, Any] | None = None,
        response: dict[str, Any] | None = None,
        deferrable: bool = False,
    ) -> None:
        """Keep ``result``; ``deferrable``: it may be written with the next write (the action
        is safe to run again if it is lost)."""
        ...

    def cancel_requested(self) -> bool: ...


class RunCancelled(Exception):
    """Someone asked for the run to be cancelled."""


@dataclass(frozen=True)
class RunOutcome:
    status: Status
    code: str | None = None
    error: dict[str, Any] | None = None
    wake_at: datetime | None = None
    """Set when the run waits (a Wait action): it resumes then."""


def scope_status(scope: ScopeSpec, statuses: dict[str, Status]) -> Status:
    """Logic Apps' rule: look at the scope's last actions, a skipped one standing for its
    predecessors; any Failed wins, then TimedOut, then Cancelled; otherwise Succeeded."""
    found: set[Status] = set()
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        status = statuses.get(name, Status.SKIPPED)
        if status is Status.SKIPPED:
            for predecessor in scope.actions[name].run_after:
                visit(predecessor)
        else:
            found.add(status)

    for name in scope.order:
        if not scope.successors(name):
            visit(name)
    for status in (Status.FAILED, Status.TIMED_OUT, Status.CANCELLED):
        if status in found:
            return status
    return Status.SUCCEEDED


class Executor:
    """Runs one run's definition against its state; ``run()`` gives the outcome."""

    def __init__(
        self,
        state: RunState,
        env: ActionEnv,
        sink: Sink,
        on_response: Callable[[dict[str, Any]], None] = lambda _: None,
    ) -> None:
        self.state = state
        self.env = env
        self.sink = sink
        self.on_response = on_response

    async def run(self) -> RunOutcome:
        root = self.state.definition.root
        try:
            statuses = await self.run_scope(root, RunContext(self.state))
        except Suspend as waiting:
            return RunOutcome(Status.WAITING, wake_at=waiting.wake_at)
        except Terminate as stop:
            await self._skip_unrun("Terminated")
            code = "Terminated" if stop.status is not Status.SUCCEEDED else None
            return RunOutcome(stop.status, code, stop.error)
        except RunCancelled:
            return RunOutcome(Status.CANCELLED, "Cancelled")
        status = scope_status(root, statuses)
        if status is Status.FAILED:
            return RunOutcome(status, "ActionFailed", error("ActionFailed", ACTION_FAILED))
        return RunOutcome(status, None if status is Status.SUCCEEDED else status.value)

    async def _skip_unrun(self, code: str) -> None:
        """Record every action that never ran as Skipped with ``code`` (the run ended before
        it: a Terminate), written with the run's end."""
        ran = {name for name, _repetition in self.state.records}
        now = self.state.clock()
        for name in self.state.definition.actions:
            if name not in ran:
                await self.save(
                    ActionResult(name, "", Status.SKIPPED, code, started_at=now, ended_at=now),
                    deferrable=True,
                )

    async def run_scope(self, scope: ScopeSpec, ctx: RunContext) -> dict[str, Status]:
        """Run ``scope``'s actions as their ``runAfter`` allow (independent ones concurrently);
        returns each action's status. A waiting branch lets the others finish, then the
        earliest wake time is raised (``Suspend``)."""
        statuses: dict[str, Status] = {}
        pending = list(scope.order)
        tasks: dict[asyncio.Task[Status], str] = {}
        waiting: list[Suspend] = []
        try:
            while True:
                started = True
                while started:
                    started = False
                    for name in list(pending):
                        spec = scope.actions[name]
                        if not all(p in statuses for p in spec.run_after):
                            continue
                        pending.remove(name)
                        started = True
                        unmet = self._unmet(spec, statuses)
                        if unmet is not None:
                            statuses[name] = await self._skip(spec, ctx, unmet)
                        else:
                            tasks[asyncio.ensure_future(self.run_action(spec, ctx))] = name
                if not tasks:
                    break
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    name = tasks.pop(task)
                    problem = task.exception()
                    if isinstance(problem, Suspend):
                        waiting.append(problem)
                    elif problem is not None:
                        raise problem
                    else:
                        statuses[name] = task.result()
        finally:
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
        if waiting:
            raise min(waiting, key=lambda s: s.wake_at)
        return statuses

    @staticmethod
    def _unmet(spec: ActionSpec, statuses: dict[str, Status]) -> tuple[str, Status] | None:
        for predecessor, allowed in spec.run_after.items():
            if statuses[predecessor] not in allowed:
                return predecessor, statuses[predecessor]
        return None

    async def _skip(self, spec: ActionSpec, ctx: RunContext, unmet: tuple[str, Status]) -> Status:
        existing = self.state.records.get((spec.name, ctx.repetition))
        if existing is not None and existing.status.finished:
            return existing.status
        predecessor, actual = unmet
        expected = sorted(s.value for s in spec.run_after[predecessor])
        now = self.state.clock()
        await self.save(
            ActionResult(
                spec.name,
                ctx.repetition,
                Status.SKIPPED,
                "ActionSkipped",
                skipped_by_run_after(spec.name, predecessor, expected, actual),
                started_at=now,
                ended_at=now,
            )
        )
        return Status.SKIPPED

    async def save(
        self,
        result: ActionResult,
        *,
        variables: bool = False,
        response: dict[str, Any] | None = None,
        deferrable: bool = False,
    ) -> None:
        self.state.records[(result.name, result.repetition)] = result
        await self.sink.record(
            result,
            variables=self.state.variables if variables else None,
            response=response,
            deferrable=deferrable,
        )

    async def run_action(self, spec: ActionSpec, ctx: RunContext) -> Status:
        existing = self.state.records.get((spec.name, ctx.repetition))
        if existing is not None and existing.status.finished:
            return existing.status
        if self.sink.cancel_requested():
            raise RunCancelled
        here = ctx.at(spec.name)
        started = existing.started_at if existing and existing.started_at else self.state.clock()
        if spec.type in CONTROL_TYPES:
            from smtp_connector.workflows.engine.controls import run_control

            return await run_control(self, spec, here, existing, started)
        return await self._run_leaf(spec, here, existing, started)

    async def _run_leaf(
        self, spec: ActionSpec, ctx: RunContext, existing: ActionResult | None, started: datetime
    ) -> Status:
        inputs: Any = None
        if spec.type in SELF_EVALUATING:
            inputs = None
        elif "inputs" in spec.compiled:
            try:
                inputs = spec.compiled["inputs"].evaluate(ctx)
            except ExpressionError as exc:
                return await self._finish(
                    spec,
                    ctx,
                    started,
                    None,
                    Outcome(
                        Status.FAILED, "BadRequest", None, invalid_inputs(spec.name, exc.message)
                    ),
                )
        step = Step(spec, ctx, inputs, existing, self.env, self.state.run_id)
        try:
            outcome = await self._with_timeout(spec, LEAF_ACTIONS[spec.type](step))
        except Suspend as waiting:
            await self.save(
                ActionResult(
                    spec.name,
                    ctx.repetition,
                    Status.WAITING,
                    inputs=inputs,
                    started_at=started,
                    state=waiting.state,
                )
            )
            raise
        except Terminate:
            now = self.state.clock()
            await self.save(
                ActionResult(
                    spec.name,
                    ctx.repetition,
                    Status.SUCCEEDED,
                    "NotSpecified",
                    None,
                    inputs,
                    None,
                    started,
                    now,
                )
            )
            raise
        except (asyncio.CancelledError, RunCancelled):
            raise
        except Exception as exc:  # a bug in an action must fail the action, not the process
            log_event("workflow.action_crashed", logging.ERROR, action=spec.name, error=repr(exc))
            outcome = Outcome(
                Status.FAILED,
                "InternalServerError",
                None,
                error(
                    "InternalServerError", f"The action failed unexpectedly: {type(exc).__name__}"
                ),
            )
        return await self._finish(spec, ctx, started, inputs, outcome)

    async def _with_timeout(self, spec: ActionSpec, work: Any) -> Outcome:
        limit = spec.raw.get("limit")
        timeout = limit.get("timeout") if isinstance(limit, dict) else None
        if not isinstance(timeout, str):
            result: Outcome = await work
            return result
        seconds = parse_duration(timeout).total_seconds()
        try:
            return await asyncio.wait_for(work, seconds)
        except TimeoutError:
            return Outcome(
                Status.TIMED_OUT,
                "ActionTimedOut",
                None,
                error("ActionTimedOut", f"The action '{spec.name}' timed out after {timeout}."),
            )

    async def _finish(
        self,
        spec: ActionSpec,
        ctx: RunContext,
        started: datetime,
        inputs: Any,
        outcome: Outcome,
    ) -> Status:
        if spec.type in SELF_EVALUATING and outcome.inputs is not None:
            inputs = outcome.inputs
        if outcome.response is not None:
            self.state.response_sent = True
            self.on_response(outcome.response)
        await self.save(
            ActionResult(
                spec.name,
                ctx.repetition,
                outcome.status,
                outcome.code,
                outcome.error,
                inputs,
                outcome.outputs,
                started,
                self.state.clock(),
                outcome.state,
                list(outcome.retry_history),
            ),
            variables=outcome.variables_changed,
            response=outcome.response,
            deferrable=spec.replayable and outcome.status.finished,
        )
        return outcome.status
