"""Control actions: Scope, If, Switch, Foreach and Until, run by the executor.

Each records a ``Running`` record holding its decision before its inner actions run (the If's
result, the Switch's case, the Foreach's items), so that a resumed run takes the same path.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from smtp_connector.workflows.actions.base import Suspend, Terminate
from smtp_connector.workflows.definition.model import ActionSpec, ScopeSpec
from smtp_connector.workflows.engine.context import Loop, RunContext
from smtp_connector.workflows.engine.records import (
    ACTION_FAILED,
    ActionResult,
    error,
    invalid_expression,
    skipped_by_branch,
)
from smtp_connector.workflows.expressions import ExpressionError, to_text
from smtp_connector.workflows.schedule.durations import parse_duration
from smtp_connector.workflows.statuses import Status

if TYPE_CHECKING:
    from smtp_connector.workflows.engine.executor import Executor

DEFAULT_FOREACH_CONCURRENCY = 20
MAX_FOREACH_CONCURRENCY = 50
MAX_FOREACH_ITEMS = 100_000
"""Logic Apps' limit on the items of one Foreach."""
DEFAULT_UNTIL_COUNT = 60
DEFAULT_UNTIL_TIMEOUT = "PT1H"


class _Failed(Exception):
    def __init__(self, detail: dict[str, Any]) -> None:
        super().__init__(detail["message"])
        self.detail = detail


async def run_control(
    executor: Executor,
    spec: ActionSpec,
    ctx: RunContext,
    existing: ActionResult | None,
    started: datetime,
) -> Status:
    from smtp_connector.workflows.engine.executor import RunCancelled

    runner = {"Scope": _scope, "If": _if, "Switch": _switch, "Foreach": _foreach, "Until": _until}
    try:
        status, outputs, state = await runner[spec.type](executor, spec, ctx, existing, started)
    except _Failed as failure:
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


async def _running(
    executor: Executor, spec: ActionSpec, ctx: RunContext, started: datetime, state: dict[str, Any]
) -> None:
    await executor.save(
        ActionResult(spec.name, ctx.repetition, Status.RUNNING, started_at=started, state=state)
    )


def _evaluate(spec: ActionSpec, role: str, ctx: RunContext) -> Any:
    try:
        return spec.compiled[role].evaluate(ctx)
    except ExpressionError as exc:
        raise _Failed(invalid_expression(spec.name, exc.message)) from exc


async def _scope(
    executor: Executor, spec: ActionSpec, ctx: RunContext, existing: Any, started: datetime
) -> tuple[Status, Any, None]:
    from smtp_connector.workflows.engine.executor import scope_status

    inner = spec.scopes["actions"]
    statuses = await executor.run_scope(inner, ctx)
    return scope_status(inner, statuses), None, None


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


_CONDITION_FUNCTIONS = frozenset(
    {
        "and",
        "or",
        "not",
        "equals",
        "contains",
        "greater",
        "greaterorequals",
        "less",
        "lessorequals",
        "startswith",
        "endswith",
    }
)


def _condition(value: Any, spec: ActionSpec, ctx: RunContext) -> bool:
    """The designer's object form, ``{"and": [{"equals": [a, b]}, ...]}`` (already evaluated)."""
    from smtp_connector.workflows.expressions.functions.registry import lookup

    if isinstance(value, bool):
        return value
    if not isinstance(value, Mapping) or len(value) != 1:
        raise _Failed(
            invalid_expression(spec.name, "The expression must be a boolean or a condition object.")
        )
    [(name, operands)] = value.items()
    key = name.casefold()
    if key in ("and", "or"):
        if not isinstance(operands, list) or not operands:
            raise _Failed(invalid_expression(spec.name, f"'{name}' needs an array of conditions."))
        parts = (_condition(item, spec, ctx) for item in operands)
        return all(parts) if key == "and" else any(parts)
    if key == "not":
        return not _condition(operands, spec, ctx)
    function = lookup(name)
    if function is None or function.lazy:
        raise _Failed(
            invalid_expression(spec.name, f"The template function '{name}' is not valid.")
        )
    arguments = operands if isinstance(operands, list) else [operands]
    try:
        result = function.impl(ctx, arguments)
    except ExpressionError as exc:
        raise _Failed(invalid_expression(spec.name, exc.message)) from exc
    if not isinstance(result, bool):
        raise _Failed(invalid_expression(spec.name, f"'{name}' does not give a boolean."))
    return result


async def _if(
    executor: Executor,
    spec: ActionSpec,
    ctx: RunContext,
    existing: ActionResult | None,
    started: datetime,
) -> tuple[Status, Any, dict[str, Any]]:
    if existing is not None and existing.state is not None and "result" in existing.state:
        result = bool(existing.state["result"])
    else:
        result = _condition(_evaluate(spec, "expression", ctx), spec, ctx)
        await _running(executor, spec, ctx, started, {"result": result})
    status = await _branch(executor, spec, ctx, "actions" if result else "else")
    return status, {"expression": result}, {"result": result}


async def _switch(
    executor: Executor,
    spec: ActionSpec,
    ctx: RunContext,
    existing: ActionResult | None,
    started: datetime,
) -> tuple[Status, Any, dict[str, Any]]:
    if existing is not None and existing.state is not None and "branch" in existing.state:
        branch = existing.state["branch"]
    else:
        value = _evaluate(spec, "expression", ctx)
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise _Failed(
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
        await _running(executor, spec, ctx, started, {"branch": branch})
    status = await _branch(executor, spec, ctx, branch)
    return status, {"expression": branch.removeprefix("case:")}, {"branch": branch}


def _concurrency(spec: ActionSpec) -> int:
    options = spec.raw.get("operationOptions")
    if isinstance(options, str) and "sequential" in options.casefold():
        return 1
    config = spec.raw.get("runtimeConfiguration")
    if isinstance(config, Mapping):
        concurrency = config.get("concurrency")
        if isinstance(concurrency, Mapping):
            value = concurrency.get("repetitions")
            if isinstance(value, int) and not isinstance(value, bool):
                return max(1, min(MAX_FOREACH_CONCURRENCY, value))
    return DEFAULT_FOREACH_CONCURRENCY


async def _foreach(
    executor: Executor,
    spec: ActionSpec,
    ctx: RunContext,
    existing: ActionResult | None,
    started: datetime,
) -> tuple[Status, Any, dict[str, Any]]:
    from smtp_connector.workflows.engine.executor import scope_status

    if existing is not None and existing.state is not None and "items" in existing.state:
        items = existing.state["items"]
    else:
        items = _evaluate(spec, "foreach", ctx)
        if not isinstance(items, list):
            kind = "Null" if items is None else type(items).__name__
            raise _Failed(
                error(
                    "InvalidTemplate",
                    f"The execution of template action '{spec.name}' failed: the result of the "
                    f"evaluation of 'foreach' expression '{spec.raw.get('foreach')}' is of type "
                    f"'{kind}'. The result must be a valid array.",
                )
            )
        if len(items) > MAX_FOREACH_ITEMS:
            raise _Failed(
                error(
                    "InvalidTemplate",
                    f"The 'foreach' of action '{spec.name}' gave {len(items)} items; at most "
                    f"{MAX_FOREACH_ITEMS} are allowed.",
                )
            )
        await _running(executor, spec, ctx, started, {"items": items})
    inner = spec.scopes["actions"]
    gate = asyncio.Semaphore(_concurrency(spec))
    stopped = False

    async def iteration(index: int, item: Any) -> Status | None:
        nonlocal stopped
        async with gate:
            if stopped:
                return None
            inside = ctx.inside(Loop(spec.name, index, item))
            try:
                return scope_status(inner, await executor.run_scope(inner, inside))
            except Suspend:
                raise
            except BaseException:
                stopped = True  # set before the gate opens: no later iteration starts
                raise

    tasks = [asyncio.ensure_future(iteration(i, item)) for i, item in enumerate(items)]
    outcomes: list[Status | None] = []
    suspends: list[Suspend] = []
    try:
        pending: set[asyncio.Future[Status | None]] = set(tasks)
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                problem = task.exception()
                if isinstance(problem, Suspend):
                    suspends.append(problem)
                elif problem is not None:
                    raise problem  # Terminate, a cancel, a bug: the other iterations stop
                else:
                    outcomes.append(task.result())
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    if suspends:
        raise min(suspends, key=lambda s: s.wake_at)
    failed = any(o is Status.FAILED for o in outcomes)
    return (Status.FAILED if failed else Status.SUCCEEDED), None, {"items": items}


async def _until(
    executor: Executor,
    spec: ActionSpec,
    ctx: RunContext,
    existing: ActionResult | None,
    started: datetime,
) -> tuple[Status, Any, None]:
    from smtp_connector.workflows.engine.executor import scope_status

    limit = spec.raw.get("limit") if isinstance(spec.raw.get("limit"), Mapping) else {}
    assert isinstance(limit, Mapping)
    count = limit.get("count", DEFAULT_UNTIL_COUNT)
    timeout = parse_duration(str(limit.get("timeout", DEFAULT_UNTIL_TIMEOUT)))
    inner = spec.scopes["actions"]
    for index in range(count):
        inside = ctx.inside(Loop(spec.name, index, has_item=False))
        status = scope_status(inner, await executor.run_scope(inner, inside))
        if status is Status.FAILED:
            return Status.FAILED, None, None
        done = _evaluate(spec, "expression", inside)
        if not isinstance(done, bool):
            done = _condition(done, spec, inside)
        if done:
            break
        if executor.state.clock() - started >= timeout:
            break
    return Status.SUCCEEDED, None, None


def describe(value: Any) -> str:
    return to_text(value)
