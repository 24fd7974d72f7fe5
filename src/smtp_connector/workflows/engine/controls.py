"""Control actions: Scope, If, Switch, Foreach and Until, run by the executor.

Each records a ``Running`` record holding its decision before its inner actions run (the If's
result, the Switch's case, the Foreach's items), so that a resumed run takes the same path.
If and Switch are in ``branches.py``, Foreach and Until in ``loops.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from smtp_connector.workflows.actions.base import Terminate
from smtp_connector.workflows.definition.model import ActionSpec
from smtp_connector.workflows.engine.branches import run_if, run_switch
from smtp_connector.workflows.engine.context import RunContext
from smtp_connector.workflows.engine.control_steps import ControlFailed
from smtp_connector.workflows.engine.loops import run_foreach, run_until
from smtp_connector.workflows.engine.records import ACTION_FAILED, ActionResult, error
from smtp_connector.workflows.statuses import Status

if TYPE_CHECKING:
    from smtp_connector.workflows.engine.executor import Executor


async def run_control(
    executor: Executor,
    spec: ActionSpec,
    ctx: RunContext,
    existing: ActionResult | None,
    started: datetime,
) -> Status:
    from smtp_connector.workflows.engine.executor import RunCancelled

    runner = {
        "Scope": _scope,
        "If": run_if,
        "Switch": run_switch,
        "Foreach": run_foreach,
        "Until": run_until,
    }
    try:
        status, outputs, state = await runner[spec.type](executor, spec, ctx, existing, started)
    except ControlFailed as failure:
        return await _finish(
            executor, spec, ctx, started, Status.FAILED, None, None, failure.detail
        )
    except (Terminate, RunCancelled) as stop:
        # The run ends inside this container: it ends Cancelled, not left Running, as the
        # runtime shows the scopes around a Terminate (IllogicApps reproduces it).
        code = "Terminated" if isinstance(stop, Terminate) else "Cancelled"
        await executor.save(
            ActionResult(
                spec.name,
                ctx.repetition,
                Status.CANCELLED,
                code,
                started_at=started,
                ended_at=executor.state.clock(),
            )
        )
        raise
    detail = error("ActionFailed", ACTION_FAILED) if status is Status.FAILED else None
    return await _finish(executor, spec, ctx, started, status, outputs, state, detail)


async def _finish(
    executor: Executor,
    spec: ActionSpec,
    ctx: RunContext,
    started: datetime,
    status: Status,
    outputs: Any,
    state: dict[str, Any] | None,
    detail: dict[str, Any] | None,
) -> Status:
    code = {Status.SUCCEEDED: None, Status.FAILED: "ActionFailed"}.get(status, status.value)
    if detail is not None and detail["code"] == "InvalidTemplate":
        code = "BadRequest"
    await executor.save(
        ActionResult(
            spec.name,
            ctx.repetition,
            status,
            code,
            detail,
            None,
            outputs,
            started,
            executor.state.clock(),
            state,
        )
    )
    return status


async def _scope(
    executor: Executor, spec: ActionSpec, ctx: RunContext, existing: Any, started: datetime
) -> tuple[Status, Any, None]:
    from smtp_connector.workflows.engine.executor import scope_status

    inner = spec.scopes["actions"]
    statuses = await executor.run_scope(inner, ctx)
    return scope_status(inner, statuses), None, None
