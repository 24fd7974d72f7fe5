"""A workflow's parameter values: the saved ``{name: {"value": v}}`` over the definition's
declared ``defaultValue``s (``$connections`` may be given without being declared)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from smtp_connector.workflows.definition import types as t
from smtp_connector.workflows.definition.problems import Problems, child


def effective_parameters(
    declared: Any, values: Any, problems: Problems, at_declared: str, at_values: str
) -> dict[str, Any]:
    """Parameter values: the saved ``{name: {"value": v}}`` over the declared defaults."""
    result: dict[str, Any] = {}
    if declared is None:
        declared = {}
    if not isinstance(declared, Mapping):
        problems.add(at_declared, "parameters must be an object")
        declared = {}
    if len(declared) > t.MAX_PARAMETERS:
        problems.add(at_declared, f"a workflow may declare at most {t.MAX_PARAMETERS} parameters")
    for name, spec in declared.items():
        if not isinstance(spec, Mapping):
            problems.add(child(at_declared, name), "a parameter must be an object")
            continue
        if "defaultValue" in spec:
            result[name] = spec["defaultValue"]
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        problems.add(at_values, "parameters must be an object of {name: {value}}")
        return result
    folded = {name.casefold() for name in declared}
    for name, entry in values.items():
        at = child(at_values, name)
        if not isinstance(entry, Mapping) or "value" not in entry:
            problems.add(at, "a parameter value must be an object with 'value'")
            continue
        if name.casefold() not in folded and name != "$connections":
            problems.add(at, f"the parameter '{name}' is not declared in the definition")
            continue
        result[name] = entry["value"]
    return result
