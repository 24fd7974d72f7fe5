"""What every control action shares: its failure, its ``Running`` record, its expressions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from smtp_connector.workflows.definition.model import ActionSpec
from smtp_connector.workflows.engine.context import RunContext
from smtp_connector.workflows.engine.records import ActionResult, invalid_expression
from smtp_connector.workflows.expressions import ExpressionError
from smtp_connector.workflows.statuses import Status

if TYPE_CHECKING:
    from smtp_connector.workflows.engine.executor import Executor


class ControlFailed(Exception):
    """The control action itself failed (its expression, its items): ``detail`` says why."""

    def __init__(self, detail: dict[str, Any]) -> None:
        super().__init__(detail["message"])
        self.detail = detail


async def record_running(
    executor: Executor, spec: ActionSpec, ctx: RunContext, started: datetime, state: dict[str, Any]
) -> None:
    await executor.save(
        ActionResult(spec.name, ctx.repetition, Status.RUNNING, started_at=started, state=state)
    )


def evaluate_part(spec: ActionSpec, role: str, ctx: RunContext) -> Any:
    try:
        return spec.compiled[role].evaluate(ctx)
    except ExpressionError as exc:
        raise ControlFailed(invalid_expression(spec.name, exc.message)) from exc
