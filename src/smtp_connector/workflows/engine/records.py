"""What a run remembers of each action, and the shapes expressions and the API see."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from smtp_connector.workflows.statuses import Status

ACTION_FAILED = "An action failed. No dependent actions succeeded."


def iso(value: datetime | None) -> str | None:
    """``2018-08-10T20:16:32.044238Z``: the run history's time format."""
    if value is None:
        return None
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(".000000Z", "Z")


@dataclass(frozen=True)
class ActionResult:
    """One execution of an action (inside loops: of one repetition)."""

    name: str
    repetition: str
    status: Status
    code: str | None = None
    error: dict[str, Any] | None = None
    inputs: Any = None
    outputs: Any = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    state: dict[str, Any] | None = None
    """A control action's decisions (branch, items, timer), so a resume repeats them."""
    retry_history: list[Any] = field(default_factory=list)

    def evolve(self, **changes: Any) -> ActionResult:
        return replace(self, **changes)

    def as_expression_value(self) -> dict[str, Any]:
        """The record ``actions('X')`` and ``result('Scope')`` give."""
        value: dict[str, Any] = {
            "name": self.name,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "startTime": iso(self.started_at),
            "endTime": iso(self.ended_at),
            "status": self.status.value,
            "code": self.code,
            "trackingId": None,
            "clientTrackingId": None,
        }
        if self.error is not None:
            value["error"] = self.error
        return value


def error(code: str, message: str) -> dict[str, Any]:
    return {"code": code, "message": message}


def skipped_by_run_after(
    name: str, predecessor: str, expected: list[str], actual: Status
) -> dict[str, Any]:
    return error(
        "ActionConditionFailed",
        f"The execution of template action '{name}' is skipped: the 'runAfter' condition for "
        f"action '{predecessor}' is not satisfied. Expected status values "
        f"'{', '.join(expected)}' and actual value '{actual.value}'.",
    )


def skipped_by_branch(name: str) -> dict[str, Any]:
    return error(
        "ActionBranchingConditionNotSatisfied",
        f"The execution of template action '{name}' skipped: the branching condition for this "
        "action is not satisfied.",
    )


def invalid_inputs(name: str, message: str) -> dict[str, Any]:
    return error(
        "InvalidTemplate",
        f"Unable to process template language expressions in action '{name}' inputs at line "
        f"'0' and column '0': '{message}'.",
    )


def invalid_expression(name: str, message: str) -> dict[str, Any]:
    return error(
        "InvalidTemplate",
        f"Unable to process template language expressions for action '{name}' at line '0' and "
        f"column '0': '{message}'.",
    )
