"""The branching control actions: If (an expression or the designer's condition object) and
Switch. The branch taken runs; the actions of the others are recorded Skipped."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from smtp_connector.workflows.definition.model import ActionSpec, ScopeSpec
from smtp_connector.workflows.engine.context import RunContext
from smtp_connector.workflows.engine.control_steps import (
    ControlFailed,
    evaluate_part,
    record_running,
)
from smtp_connector.workflows.engine.records import (
    ActionResult,
    invalid_expression,
    skipped_by_branch,
)
from smtp_connector.workflows.expressions import ExpressionError
from smtp_connector.workflows.statuses import Status

if TYPE_CHECKING:
    from smtp_connector.workflows.engine.executor import Executor


async def _skip_branch(executor: Executor, scope: ScopeSpec, ctx: RunContext) -> None:
    now = executor.state.clock()
    for name in scope.order:
        if (name, ctx.repetition) in executor.state.records:
            continue
        await executor.save(
            ActionResult(
                name,
                ctx.repetition,
                Status.SKIPPED,
                "ActionSkipped",
                skipped_by_branch(name),
                started_at=now,
                ended_at=now,
            )
        )


async def _branch(
    executor: Executor, spec: ActionSpec, ctx: RunContext, chosen: str | None
) -> Status:
    from smtp_connector.workflows.engine.executor import scope_status

    for role, scope in spec.scopes.items():
        if role != chosen:
            await _skip_branch(executor, scope, ctx)
    if chosen is None or chosen not in spec.scopes:
        return Status.SUCCEEDED
    inner = spec.scopes[chosen]
    return scope_status(inner, await executor.run_scope(inner, ctx))


def condition_holds(value: Any, spec: ActionSpec, ctx: RunContext) -> bool:
    """The designer's object form, ``{"and": [{"equals": [a, b]}, ...]}`` (already evaluated)."""
    from smtp_connector.workflows.expressions.functions.registry import lookup

    if isinstance(value, bool):
        return value
    if not isinstance(value, Mapping) or len(value) != 1:
        raise ControlFailed(
            invalid_expression(spec.name, "The expression must be a boolean or a condition object.")
        )
    [(name, operands)] = value.items()
    key = name.casefold()
    if key in ("and", "or"):
        if not isinstance(operands, list) or not operands:
            raise ControlFailed(
                invalid_expression(spec.name, f"'{name}' needs an array of conditions.")
            )
        parts = (condition_holds(item, spec, ctx) for item in operands)
        return all(parts) if key == "and" else any(parts)
    if key == "not":
        return not condition_holds(operands, spec, ctx)
    function = lookup(name)
    if function is None or function.lazy:
        raise ControlFailed(
            invalid_expression(spec.name, f"The template function '{name}' is not valid.")
        )
    arguments = operands if isinstance(operands, list) else [operands]
    try:
        result = function.impl(ctx, arguments)
    except ExpressionError as exc:
        raise ControlFailed(invalid_expression(spec.name, exc.message)) from exc
    if not isinstance(result, bool):
        raise ControlFailed(invalid_expression(spec.name, f"'{name}' does not give a boolean."))
    return result


async def run_if(
    executor: Executor,
    spec: ActionSpec,
    ctx: RunContext,
    existing: ActionResult | None,
    started: datetime,
) -> tuple[Status, Any, dict[str, Any]]:
    if existing is not None and existing.state is not None and "result" in existing.state:
        result = bool(existing.state["result"])
    else:
        result = condition_holds(evaluate_part(spec, "expression", ctx), spec, ctx)
        await record_running(executor, spec, ctx, started, {"result": result})
    status = await _branch(executor, spec, ctx, "actions" if result else "else")
    return status, {"expression": result}, {"result": result}


async def run_switch(
    executor: Executor,
    spec: ActionSpec,
    ctx: RunContext,
    existing: ActionResult | None,
    started: datetime,
) -> tuple[Status, Any, dict[str, Any]]:
    if existing is not None and existing.state is not None and "branch" in existing.state:
        branch = existing.state["branch"]
    else:
        value = evaluate_part(spec, "expression", ctx)
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise ControlFailed(
                invalid_expression(
                    spec.name,
                    f"The expression is of type '{type(value).__name__}' but is expected to be "
                    "a value of type 'String, Integer'.",
                )
            )
        branch = "default"
        for case_name, case_value in spec.cases.items():
            if case_value == value and type(case_value) is type(value):
                branch = f"case:{case_name}"
                break
        await record_running(executor, spec, ctx, started, {"branch": branch})
    status = await _branch(executor, spec, ctx, branch)
    return status, {"expression": branch.removeprefix("case:")}, {"branch": branch}
