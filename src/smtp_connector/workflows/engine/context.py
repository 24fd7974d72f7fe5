"""The running workflow as expressions see it: ``RunContext`` implements ``EvaluationContext``.

One ``RunState`` per run holds what every branch shares (parameters, variables, the trigger,
the action records); a ``RunContext`` adds where the evaluation happens: the loop iterations
around it (its *repetition*, ``"000002-000000"`` inside two loops, ``""`` outside any).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from smtp_connector.workflows.definition.model import Definition
from smtp_connector.workflows.definition.types import SECURE_OUTPUT_TYPES
from smtp_connector.workflows.engine.records import ActionResult
from smtp_connector.workflows.expressions import ExpressionError, ExpressionEvaluationError
from smtp_connector.workflows.expressions.context import casefold_get
from smtp_connector.workflows.expressions.values import plain_json

APP_SETTING_PREFIX = "SMTP_CONNECTOR_APPSETTING_"
"""``appsetting('x')`` reads the environment variable ``SMTP_CONNECTOR_APPSETTING_x`` only: an
expression must never reach the service's own settings (its secret key, say)."""


@dataclass
class RunState:
    run_id: str
    workflow: str
    definition: Definition
    trigger: dict[str, Any]
    variables: dict[str, dict[str, Any]]
    """Casefolded name -> ``{"name", "type", "value"}``."""
    records: dict[tuple[str, str], ActionResult] = field(default_factory=dict)
    response_sent: bool = False
    callback_url: Callable[[], str] = lambda: ""
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)


@dataclass(frozen=True)
class Loop:
    name: str
    index: int
    item: Any = None
    has_item: bool = True


def repetition_of(loops: tuple[Loop, ...]) -> str:
    return "-".join(f"{loop.index:06d}" for loop in loops)


class RunContext:
    """An ``EvaluationContext`` at one place of one run."""

    def __init__(
        self, state: RunState, loops: tuple[Loop, ...] = (), current: str | None = None
    ) -> None:
        self.state = state
        self.loops = loops
        self.repetition = repetition_of(loops)
        self.current = current

    def inside(self, loop: Loop) -> RunContext:
        return RunContext(self.state, (*self.loops, loop), self.current)

    def at(self, action: str) -> RunContext:
        return RunContext(self.state, self.loops, action)

    # EvaluationContext

    def now(self) -> datetime:
        return self.state.clock()

    def parameter(self, name: str) -> Any:
        found, value = casefold_get(self.state.definition.parameters, name)
        if not found:
            raise ExpressionEvaluationError(
                f"The workflow parameter '{name}' is not found. "
                "Please see https://aka.ms/logicexpressions for usage details."
            )
        return value

    def variable(self, name: str) -> Any:
        entry = self.state.variables.get(name.casefold())
        if entry is None:
            raise ExpressionEvaluationError(
                f"The variable '{name}' cannot be found. Please see "
                "https://aka.ms/logicexpressions#variables for usage details."
            )
        return entry["value"]

    def trigger(self) -> Mapping[str, Any]:
        return self.state.trigger

    def record(self, name: str) -> ActionResult | None:
        """The record of ``name`` seen from here: this repetition's, else an enclosing one's."""
        canonical = self._canonical(name)
        records = self.state.records
        repetition = self.repetition
        while True:
            found = records.get((canonical, repetition))
            if found is not None:
                return found
            if not repetition:
                return None
            repetition = repetition.rpartition("-")[0]

    def action(self, name: str) -> Mapping[str, Any]:
        found = self.record(name)
        if found is None:
            raise ExpressionEvaluationError(
                f"The action '{name}' is not defined in the template or has not run yet. "
                "Please see https://aka.ms/logicexpressions for usage details."
            )
        return found.as_expression_value()

    def current_action(self) -> Mapping[str, Any]:
        if self.current is None:
            return {}
        found = self.record(self.current)
        return found.as_expression_value() if found else {"name": self.current}

    def item(self, loop: str | None) -> Any:
        for entry in reversed(self.loops):
            if entry.has_item and (loop is None or entry.name.casefold() == loop.casefold()):
                return entry.item
        if loop is None:
            raise ExpressionEvaluationError(
                "The template language function 'item' must be called from within a 'foreach' "
                "loop. Please see https://aka.ms/logicexpressions#item for usage details."
            )
        raise ExpressionEvaluationError(
            f"The template language function 'items' must reference an enclosing 'foreach' "
            f"action, and '{loop}' is not one. "
            "Please see https://aka.ms/logicexpressions#items for usage details."
        )

    def iteration_index(self, loop: str) -> int:
        for entry in reversed(self.loops):
            if entry.name.casefold() == loop.casefold():
                return entry.index
        raise ExpressionEvaluationError(
            f"The template language function 'iterationIndexes' must reference an enclosing "
            f"'until' action, and '{loop}' is not one. "
            "Please see https://aka.ms/logicexpressions#iterationIndexes for usage details."
        )

    def result(self, scope: str) -> list[Any]:
        definition = self.state.definition
        spec = definition.actions.get(self._canonical(scope))
        if spec is None or not spec.scopes:
            raise ExpressionEvaluationError(
                f"The template language function 'result' expects its parameter to be the name "
                f"of a scoped action (Scope, Foreach, Until, If or Switch); '{scope}' is not one."
            )
        looped = spec.type in ("Foreach", "Until")
        out: list[Any] = []
        for inner in spec.scopes.values():
            for child in inner.order:
                if looped:
                    prefix = f"{self.repetition}-" if self.repetition else ""
                    matches = sorted(
                        (rep, rec)
                        for (name, rep), rec in self.state.records.items()
                        if name == child
                        and rep.startswith(prefix)
                        and rep.count("-") == len(self.loops)
                    )
                    out.extend(rec.as_expression_value() for _, rec in matches)
                else:
                    found = self.record(child)
                    if found is not None:
                        out.append(found.as_expression_value())
        return out

    def workflow(self) -> Mapping[str, Any]:
        name, run = self.state.workflow, self.state.run_id
        return {
            "id": f"/workflows/{name}",
            "name": name,
            "type": "Microsoft.Logic/workflows",
            "location": None,
            "tags": {},
            "run": {
                "id": f"/workflows/{name}/runs/{run}",
                "name": run,
                "type": "Microsoft.Logic/workflows/runs",
            },
        }

    def callback_url(self) -> str:
        return self.state.callback_url()

    def app_setting(self, name: str) -> Any:
        value = os.environ.get(APP_SETTING_PREFIX + name)
        if value is None:
            raise ExpressionEvaluationError(
                f"The app setting '{name}' is not set (environment variable "
                f"{APP_SETTING_PREFIX}{name})."
            )
        return value

    def _canonical(self, name: str) -> str:
        actions = self.state.definition.actions
        if name in actions:
            return name
        folded = name.casefold()
        return next((n for n in actions if n.casefold() == folded), name)


def run_outputs(definition: Definition, context: RunContext) -> dict[str, Any] | None:
    """The definition's ``outputs`` evaluated when the run ends: ``{name: {type, value}}``; an
    expression that fails gives ``{type, error}`` (the run's status stays). Secure outputs
    show only their type: they are neither evaluated into the record nor stored."""
    if not definition.outputs:
        return None
    shown: dict[str, Any] = {}
    for name, (kind, value) in definition.outputs.items():
        if kind in SECURE_OUTPUT_TYPES:
            shown[name] = {"type": kind}
            continue
        try:
            shown[name] = {"type": kind, "value": plain_json(value.evaluate(context))}
        except ExpressionError as exc:
            shown[name] = {
                "type": kind,
                "error": {"code": "InvalidTemplate", "message": exc.message},
            }
    return shown
