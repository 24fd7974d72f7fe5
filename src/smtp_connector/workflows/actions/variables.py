"""Variables: Initialize, Set, Increment, Decrement, AppendToArray, AppendToString.

Names are case-insensitive; values are checked against the declared type, as the runtime does
(an Integer variable takes integers only; a Float one takes any number).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from smtp_connector.workflows.actions.base import Outcome, Step, failed, field, succeeded
from smtp_connector.workflows.expressions.values import is_number, type_name

_TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "Float": is_number,
    "Boolean": lambda v: isinstance(v, bool),
    "String": lambda v: isinstance(v, str),
    "Array": lambda v: isinstance(v, list),
    "Object": lambda v: isinstance(v, dict),
}
_DEFAULTS: dict[str, Any] = {
    "Integer": 0,
    "Float": 0.0,
    "Boolean": False,
    "String": "",
    "Array": [],
    "Object": {},
}


def _mismatch(step: Step, name: str, declared: str, value: Any) -> Outcome:
    return failed(
        "BadRequest",
        "InvalidVariableValue" if value is not None else "InvalidTemplate",
        f"The variable '{name}' of type '{declared}' cannot be set to a value of type "
        f"'{type_name(value)}'.",
    )


def _canonical_type(text: Any) -> str:
    folded = str(text).casefold()
    return next((t for t in _TYPE_CHECKS if t.casefold() == folded), "String")


async def initialize(step: Step) -> Outcome:
    [entry] = field(step.inputs, "variables")
    name = str(entry["name"])
    declared = _canonical_type(entry["type"])
    value = entry.get("value", _DEFAULTS[declared])
    if declared == "Float" and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not _TYPE_CHECKS[declared](value):
        return _mismatch(step, name, declared, value)
    step.ctx.state.variables[name.casefold()] = {"name": name, "type": declared, "value": value}
    return succeeded(None, code="NotSpecified", variables_changed=True)


def _entry(step: Step) -> dict[str, Any]:
    name = str(field(step.inputs, "name"))
    return step.ctx.state.variables[name.casefold()]


async def set_variable(step: Step) -> Outcome:
    entry = _entry(step)
    value = field(step.inputs, "value")
    if entry["type"] == "Float" and is_number(value):
        value = float(value)
    if not _TYPE_CHECKS[entry["type"]](value):
        return _mismatch(step, entry["name"], entry["type"], value)
    entry["value"] = value
    return succeeded({"body": {"value": value}}, code="NotSpecified", variables_changed=True)


async def _add(step: Step, sign: int) -> Outcome:
    entry = _entry(step)
    by = field(step.inputs, "value")
    if by is None:
        by = 1
    if not is_number(by) or (entry["type"] == "Integer" and not isinstance(by, int)):
        return _mismatch(step, entry["name"], entry["type"], by)
    entry["value"] = entry["value"] + sign * by
    return succeeded(
        {"body": {"value": entry["value"]}}, code="NotSpecified", variables_changed=True
    )


async def increment(step: Step) -> Outcome:
    return await _add(step, 1)


async def decrement(step: Step) -> Outcome:
    return await _add(step, -1)


async def append_to_array(step: Step) -> Outcome:
    entry = _entry(step)
    value = field(step.inputs, "value")
    if value is None:
        return failed(
            "BadRequest",
            "InvalidTemplate",
            "The value cannot be null. The action type 'AppendToArrayVariable' only supports "
            "values of types 'Float, Integer, String, Boolean, Object'.",
        )
    entry["value"] = [*entry["value"], value]
    return succeeded(None, code="NotSpecified", variables_changed=True)


async def append_to_string(step: Step) -> Outcome:
    from smtp_connector.workflows.expressions import to_text

    entry = _entry(step)
    value = field(step.inputs, "value")
    entry["value"] = entry["value"] + to_text(value)
    return succeeded(None, code="NotSpecified", variables_changed=True)
