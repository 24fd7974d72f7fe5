"""A definition's ``triggers``: names, types we run, each type's settings, and the compiled
``conditions`` and ``splitOn``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from smtp_connector.workflows.definition import types as t
from smtp_connector.workflows.definition.checks import check_trigger
from smtp_connector.workflows.definition.model import TriggerSpec
from smtp_connector.workflows.definition.problems import Problems, child
from smtp_connector.workflows.definition.salesforce import (
    SalesforceExists,
    parse_salesforce_trigger,
)


def parse_triggers(
    raw: Any,
    at: str,
    problems: Problems,
    parameters: Mapping[str, Any],
    salesforce: SalesforceExists | None = None,
) -> dict[str, TriggerSpec]:
    """The checked triggers; ``salesforce`` says whether a Salesforce connection exists (None:
    do not check, for a definition that was checked when it was saved)."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        problems.add(at, "triggers must be an object of name -> trigger")
        return {}
    if len(raw) > t.MAX_TRIGGERS:
        problems.add(at, f"a workflow may have at most {t.MAX_TRIGGERS} triggers")
    result: dict[str, TriggerSpec] = {}
    for name, spec in raw.items():
        trigger_at = child(at, name)
        if not name or len(name) > t.MAX_NAME or any(c in t.NAME_FORBIDDEN for c in name):
            problems.add(trigger_at, f"the trigger name {name!r} is not valid")
            continue
        if not isinstance(spec, Mapping):
            problems.add(trigger_at, "a trigger must be an object")
            continue
        type_text = spec.get("type")
        kind = t.trigger_type(type_text) if isinstance(type_text, str) else None
        if kind is None:
            problems.add(
                trigger_at + "/type",
                f"the trigger type {type_text!r} is not supported; supported types: "
                + ", ".join(t.TRIGGER_TYPES),
            )
            continue
        compiled = {}
        for role in ("conditions", "splitOn"):
            if role in spec:
                value = problems.compile(trigger_at + "/" + role, spec[role])
                if value is not None:
                    compiled[role] = value
        check_trigger(kind, spec, trigger_at, problems)
        poll = None
        if kind == "ApiConnection":
            poll = parse_salesforce_trigger(spec, trigger_at, problems, parameters, salesforce)
            if "recurrence" in spec:
                check_trigger("Recurrence", spec, trigger_at, problems)
        result[name] = TriggerSpec(name, kind, trigger_at, spec, compiled, poll)
    return result
