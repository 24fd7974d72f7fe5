"""What an expression may read from the running workflow: the engine implements this protocol.

The pure language never imports the engine; the workflow functions (``trigger()``, ``body()``,
``variables()``, ...) call these methods, and unit tests pass a small in-memory implementation
(``StaticContext``). Values are JSON values as Python objects (see ``values.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from smtp_connector.workflows.expressions.errors import ExpressionEvaluationError


class EvaluationContext(Protocol):
    """The run-time state an expression can see. Each method raises ``ExpressionEvaluationError``
    (worded like the runtime) when the thing asked for does not exist or is not in scope."""

    def now(self) -> datetime:
        """The current instant, timezone-aware UTC (``utcNow()``, ``getFutureTime()``, ...)."""
        ...

    def parameter(self, name: str) -> Any:
        """``parameters(name)``: the workflow parameter's value (case-insensitive name)."""
        ...

    def variable(self, name: str) -> Any:
        """``variables(name)``: the variable's current value (case-insensitive name)."""
        ...

    def trigger(self) -> Mapping[str, Any]:
        """``trigger()``: ``{name, inputs, outputs, startTime, endTime, scheduledTime, status,
        code, trackingId, clientTrackingId}``; ``outputs`` holds ``headers``, ``body``, ..."""
        ...

    def action(self, name: str) -> Mapping[str, Any]:
        """``actions(name)``: ``{name, inputs, outputs, startTime, endTime, status, code, error?,
        trackingId, clientTrackingId}`` of an action that has run (or is running: ``action()``)."""
        ...

    def current_action(self) -> Mapping[str, Any]:
        """``action()``: the record of the action being evaluated (Until conditions, ...)."""
        ...

    def item(self, loop: str | None) -> Any:
        """``item()`` (loop ``None``: the innermost Foreach) or ``items(loop)``."""
        ...

    def iteration_index(self, loop: str) -> int:
        """``iterationIndexes(loop)``: the 0-based index of the named Until loop's iteration."""
        ...

    def result(self, scope: str) -> list[Any]:
        """``result(scope)``: one record per top-level action of a Scope, Foreach or Until."""
        ...

    def workflow(self) -> Mapping[str, Any]:
        """``workflow()``: ``{name, type, id, location, run: {name, type, id}, tags}``."""
        ...

    def callback_url(self) -> str:
        """``listCallbackUrl()``: the signed URL of the workflow's Request trigger."""
        ...

    def app_setting(self, name: str) -> Any:
        """``appsetting(name)``: a configuration value (Standard's app settings)."""
        ...


def _missing(kind: str, name: str) -> ExpressionEvaluationError:
    return ExpressionEvaluationError(
        f"The {kind} '{name}' cannot be found. "
        "Please see https://aka.ms/logicexpressions for usage details."
    )


def casefold_get(table: Mapping[str, Any], name: str) -> tuple[bool, Any]:
    """``(True, value)`` for ``name`` in ``table``, exact case first, else in any case;
    ``(False, None)`` when it is not there."""
    if name in table:
        return True, table[name]
    folded = name.casefold()
    for key, value in table.items():
        if key.casefold() == folded:
            return True, value
    return False, None


@dataclass
class StaticContext:
    """A plain in-memory ``EvaluationContext`` for unit tests and save-time checks."""

    parameters: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    trigger_record: dict[str, Any] = field(default_factory=dict)
    actions: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: dict[str, Any] = field(default_factory=dict)
    """Loop name -> current item; the last inserted key is the innermost loop."""
    indexes: dict[str, int] = field(default_factory=dict)
    results: dict[str, list[Any]] = field(default_factory=dict)
    workflow_record: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    url: str = "http://127.0.0.1/"
    clock: datetime = field(default_factory=lambda: datetime.now(UTC))
    current: dict[str, Any] = field(default_factory=dict)

    def now(self) -> datetime:
        return self.clock

    def parameter(self, name: str) -> Any:
        found, value = casefold_get(self.parameters, name)
        if not found:
            raise ExpressionEvaluationError(
                f"The workflow parameter '{name}' is not found. "
                "Please see https://aka.ms/logicexpressions for usage details."
            )
        return value

    def variable(self, name: str) -> Any:
        found, value = casefold_get(self.variables, name)
        if not found:
            raise _missing("variable", name)
        return value

    def trigger(self) -> Mapping[str, Any]:
        return self.trigger_record

    def action(self, name: str) -> Mapping[str, Any]:
        found, value = casefold_get(self.actions, name)
        if not found:
            raise ExpressionEvaluationError(
                f"The action '{name}' is not defined in the template or has not run yet. "
                "Please see https://aka.ms/logicexpressions for usage details."
            )
        return dict(value)

    def current_action(self) -> Mapping[str, Any]:
        return self.current

    def item(self, loop: str | None) -> Any:
        if loop is None:
            if not self.items:
                raise ExpressionEvaluationError(
                    "The template language function 'item' must be called from within a "
                    "'foreach' loop. Please see https://aka.ms/logicexpressions#item for usage "
                    "details."
                )
            return list(self.items.values())[-1]
        found, value = casefold_get(self.items, loop)
        if not found:
            raise ExpressionEvaluationError(
                f"The template language function 'items' must reference an enclosing 'foreach' "
                f"action, and '{loop}' is not one. "
                "Please see https://aka.ms/logicexpressions#items for usage details."
            )
        return value

    def iteration_index(self, loop: str) -> int:
        found, value = casefold_get(self.indexes, loop)
        if not found:
            raise _missing("loop", loop)
        return int(value)

    def result(self, scope: str) -> list[Any]:
        found, value = casefold_get(self.results, scope)
        if not found:
            raise _missing("scoped action", scope)
        return list(value)

    def workflow(self) -> Mapping[str, Any]:
        return self.workflow_record

    def callback_url(self) -> str:
        return self.url

    def app_setting(self, name: str) -> Any:
        found, value = casefold_get(self.settings, name)
        if not found:
            raise _missing("app setting", name)
        return value
