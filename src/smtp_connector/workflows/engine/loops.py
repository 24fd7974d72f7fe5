"""The looping control actions: Foreach (items in parallel, 20 at a time by default, or one
at a time) and Until (iterations until its expression holds, within its count and timeout)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from smtp_connector.workflows.actions.base import Suspend
from smtp_connector.workflows.definition.model import ActionSpec
from smtp_connector.workflows.engine.branches import condition_holds
from smtp_connector.workflows.engine.context import Loop, RunContext
from smtp_connector.workflows.engine.control_steps import (
    ControlFailed,
    evaluate_part,
    record_running,
)
from smtp_connector.workflows.engine.records import ActionResult, error
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


async def run_foreach(
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
        items = evaluate_part(spec, "foreach", ctx)
        if not isinstance(items, list):
            kind = "Null" if items is None else type(items).__name__
            raise ControlFailed(
                error(
                    "InvalidTemplate",
                    f"The execution of template action '{spec.name}' failed: the result of the "
                    f"evaluation of 'foreach' expression '{spec.raw.get('foreach')}' is of type "
                    f"'{kind}'. The result must be a valid array.",
                )
            )
        if len(items) > MAX_FOREACH_ITEMS:
            raise ControlFailed(
                error(
                    "InvalidTemplate",
                    f"The 'foreach' of action '{spec.name}' gave {len(items)} items; at most "
                    f"{MAX_FOREACH_ITEMS} are allowed.",
                )
            )
        await record_running(executor, spec, ctx, started, {"items": items})
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


async def run_until(
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
        done = evaluate_part(spec, "expression", inside)
        if not isinstance(done, bool):
            done = condition_holds(done, spec, inside)
        if done:
            break
        if executor.state.clock() - started >= timeout:
            break
    return Status.SUCCEEDED, None, None
