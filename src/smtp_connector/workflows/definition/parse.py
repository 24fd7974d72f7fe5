"""From a Logic Apps workflow definition (JSON) to a checked, compiled ``Definition``.

Checks at save time: the shape of triggers and actions, types we run, names, ``runAfter``
references and cycles, every expression (syntax, unknown functions, limits), connection
references, variables, and the definition's size limits. Every problem is reported with its
JSON pointer in the saved document; ``WorkflowInvalid`` carries them all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from smtp_connector.workflows.definition import types as t
from smtp_connector.workflows.definition.checks import check_action_inputs
from smtp_connector.workflows.definition.model import (
    ActionSpec,
    ConnectionRef,
    Definition,
    ScopeSpec,
)
from smtp_connector.workflows.definition.parameters import effective_parameters
from smtp_connector.workflows.definition.problems import Problems, child, pointer, split_pointer
from smtp_connector.workflows.definition.salesforce import SalesforceExists
from smtp_connector.workflows.definition.triggers import parse_triggers
from smtp_connector.workflows.expressions import CompiledValue
from smtp_connector.workflows.expressions.compile import functions_called
from smtp_connector.workflows.statuses import Status

ConnectionExists = Callable[[str], bool]


class _Walker:
    def __init__(
        self,
        problems: Problems,
        parameters: Mapping[str, Any],
        exists: ConnectionExists,
        salesforce: SalesforceExists | None = None,
    ) -> None:
        self.problems = problems
        self.parameters = parameters
        self.exists = exists
        self.salesforce = salesforce
        self.actions: dict[str, ActionSpec] = {}
        self.parents: dict[str, str | None] = {}
        self.connections: list[ConnectionRef] = []
        self.variables: dict[str, str] = {}
        self.seen_names: dict[str, str] = {}
        self.count = 0

    def scope(self, actions: Any, at: str, parent: str | None, depth: int, loop: bool) -> ScopeSpec:
        if actions is None:
            actions = {}
        if not isinstance(actions, Mapping):
            self.problems.add(at, "actions must be an object of name -> action")
            return ScopeSpec({}, ())
        if depth > t.MAX_NESTING:
            self.problems.add(at, f"actions may be nested at most {t.MAX_NESTING} levels deep")
            return ScopeSpec({}, ())
        specs: dict[str, ActionSpec] = {}
        for name, raw in actions.items():
            spec = self.action(name, raw, child(at, name), parent, depth, loop)
            if spec is not None:
                specs[name] = spec
        order = self.ordered(specs, at)
        return ScopeSpec(specs, order)

    def ordered(self, specs: Mapping[str, ActionSpec], at: str) -> tuple[str, ...]:
        """Kahn's algorithm; a cycle is a problem at each action on it."""
        remaining = {name: set(spec.run_after) & set(specs) for name, spec in specs.items()}
        order: list[str] = []
        while True:
            ready = [name for name, deps in remaining.items() if not deps]
            if not ready:
                break
            for name in ready:
                order.append(name)
                del remaining[name]
            for deps in remaining.values():
                deps.difference_update(ready)
        for name in remaining:
            self.problems.add(
                child(at, name, "runAfter"),
                f"the runAfter of '{name}' makes a cycle: " + " -> ".join(sorted(remaining)),
            )
        return tuple(order)

    def name_ok(self, name: str, at: str) -> bool:
        if not name or len(name) > t.MAX_NAME:
            self.problems.add(at, f"a name must be 1 to {t.MAX_NAME} characters")
            return False
        bad = sorted({c for c in name if c in t.NAME_FORBIDDEN or not c.isprintable()})
        if bad:
            self.problems.add(at, f"the name '{name}' may not contain {' '.join(bad)!r}")
            return False
        return True

    def action(
        self, name: str, raw: Any, at: str, parent: str | None, depth: int, loop: bool
    ) -> ActionSpec | None:
        problems = self.problems
        if not self.name_ok(name, at):
            return None
        folded = name.casefold()
        if folded in self.seen_names:
            problems.add(at, f"the action name '{name}' is used twice (names are unique)")
            return None
        self.seen_names[folded] = name
        self.count += 1
        if self.count == t.MAX_ACTIONS + 1:
            problems.add(at, f"a workflow may have at most {t.MAX_ACTIONS} actions")
        if not isinstance(raw, Mapping):
            problems.add(at, "an action must be an object")
            return None
        type_text = raw.get("type")
        kind = t.action_type(type_text) if isinstance(type_text, str) else None
        if kind is None:
            problems.add(
                child(at, "type"),
                f"the action type {type_text!r} is not supported; supported types: "
                + ", ".join(t.ACTION_TYPES),
            )
            return None
        run_after = self.run_after(raw.get("runAfter"), child(at, "runAfter"))
        compiled = {}
        for role in ("inputs", "expression", "foreach"):
            if role in raw:
                value = problems.compile(child(at, role), raw[role])
                if value is not None:
                    compiled[role] = value
        inputs = raw.get("inputs")
        if kind in ("Query", "Select") and isinstance(inputs, Mapping):
            for role in ("from", "where", "select"):
                if role in inputs:
                    part = problems.compile_quietly(inputs[role])
                    if part is not None:
                        compiled[role] = part
        scopes: dict[str, ScopeSpec] = {}
        cases: dict[str, Any] = {}
        inner_loop = loop or kind in ("Foreach", "Until")
        for role, actions, inner_at in self.branches(kind, raw, at, cases):
            scopes[role] = self.scope(actions, inner_at, name, depth + 1, inner_loop)
        connection = check_action_inputs(
            kind, name, raw, at, problems, self.parameters, self.variables, parent, loop
        )
        if connection is not None:
            self.connections.append(ConnectionRef(child(at, "inputs"), connection))
            if not self.exists(connection):
                where = (
                    child(at, "inputs", "host", "connection")
                    if kind == "ApiConnection"
                    else child(at, "inputs", "serviceProviderConfiguration")
                )
                if self.salesforce is not None and self.salesforce(connection):
                    problems.add(
                        where,
                        f"'{connection}' is a Salesforce connection; Send Email needs an SMTP "
                        "connection",
                    )
                else:
                    problems.add(
                        where,
                        f"there is no connection named '{connection}'; create it with "
                        "POST /v1/connections first",
                    )
        spec = ActionSpec(
            name,
            kind,
            at,
            raw,
            run_after,
            compiled,
            scopes,
            cases,
            connection=connection,
            replayable=replayable(kind, compiled),
        )
        self.actions[name] = spec
        self.parents[name] = parent
        return spec

    def branches(
        self, kind: str, raw: Mapping[str, Any], at: str, cases: dict[str, Any]
    ) -> list[tuple[str, Any, str]]:
        """``(role, actions, pointer)`` of each nested scope of a control action."""
        here = split_pointer(at)
        found: list[tuple[str, Any, str]] = []
        if kind in ("Scope", "Foreach", "Until", "If"):
            found.append(("actions", raw.get("actions"), pointer(*here, "actions")))
        if kind == "If":
            other = raw.get("else")
            if other is not None:
                if isinstance(other, Mapping):
                    found.append(("else", other.get("actions"), pointer(*here, "else", "actions")))
                else:
                    self.problems.add(pointer(*here, "else"), 'else must be {"actions": {...}}')
        if kind == "Switch":
            raw_cases = raw.get("cases", {})
            if not isinstance(raw_cases, Mapping):
                self.problems.add(pointer(*here, "cases"), "cases must be an object")
                raw_cases = {}
            for case_name, case in raw_cases.items():
                case_at = pointer(*here, "cases", case_name)
                if not isinstance(case, Mapping) or "case" not in case:
                    self.problems.add(case_at, 'a case must be {"case": value, "actions": {}}')
                    continue
                value = case["case"]
                if not isinstance(value, str | int) or isinstance(value, bool):
                    self.problems.add(case_at + "/case", "a case value must be a string or integer")
                    continue
                if any(_same_case(value, other) for other in cases.values()):
                    self.problems.add(case_at + "/case", f"the case value {value!r} is repeated")
                cases[case_name] = value
                found.append((f"case:{case_name}", case.get("actions"), case_at + "/actions"))
            default = raw.get("default")
            if isinstance(default, Mapping):
                found.append(
                    ("default", default.get("actions"), pointer(*here, "default", "actions"))
                )
        return found

    def run_after(self, raw: Any, at: str) -> dict[str, frozenset[Status]]:
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            self.problems.add(at, "runAfter must be an object of action name -> statuses")
            return {}
        result: dict[str, frozenset[Status]] = {}
        for name, statuses in raw.items():
            entry_at = child(at, name)
            if not isinstance(statuses, list) or not statuses:
                self.problems.add(entry_at, "runAfter statuses must be a non-empty array")
                continue
            parsed: set[Status] = set()
            for index, text in enumerate(statuses):
                status = Status.parse(text) if isinstance(text, str) else None
                if status is None or status not in _RUN_AFTER:
                    self.problems.add(
                        child(entry_at, index),
                        f"{text!r} is not a runAfter status (Succeeded, Failed, Skipped, TimedOut)",
                    )
                    continue
                parsed.add(status)
            result[name] = frozenset(parsed)
        return result


IDEMPOTENT_TYPES = frozenset({"ApiConnection", "ServiceProvider"})
"""Send Email: a repeat finds its first attempt's answer by its idempotency key."""
PURE_TYPES = frozenset({"Compose", "ParseJson", "Query", "Select"})
"""Data operations: their outcome depends only on what their expressions give."""
UNSTABLE_FUNCTIONS = frozenset(
    {"guid", "rand", "variables", "listcallbackurl", "action", "appsetting"}
)
"""Functions whose value may differ from one evaluation to the next (with the date and time
functions, which read the clock: a timestamp without a date is read as today's)."""


def replayable(kind: str, compiled: Mapping[str, CompiledValue]) -> bool:
    """Whether running the action again gives the same outcome (``ActionSpec.replayable``)."""
    if kind in IDEMPOTENT_TYPES:
        return True
    if kind not in PURE_TYPES:
        return False
    for part in compiled.values():
        for function in functions_called(part):
            if function.name.casefold() in UNSTABLE_FUNCTIONS or function.impl.__module__.endswith(
                ".dates"
            ):
                return False
    return True


_RUN_AFTER = {Status.SUCCEEDED, Status.FAILED, Status.SKIPPED, Status.TIMED_OUT}


def _same_case(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    return bool(a == b and type(a) is type(b))


def _check_references(scope: ScopeSpec, problems: Problems) -> None:
    """Every ``runAfter`` names an action of the same scope (and never the action itself)."""
    for spec in scope.actions.values():
        for name in spec.run_after:
            at = child(spec.pointer, "runAfter", name)
            if name == spec.name:
                problems.add(at, f"'{spec.name}' cannot run after itself")
            elif name not in scope.actions:
                problems.add(
                    at,
                    f"'{spec.name}' runs after '{name}', which is not an action of the same scope",
                )
        for inner in spec.scopes.values():
            _check_references(inner, problems)


def parse_definition(
    definition: Any,
    parameters: Any,
    exists: ConnectionExists,
    at: str = "/definition",
    at_parameters: str = "/parameters",
    salesforce: SalesforceExists | None = None,
) -> Definition:
    """The checked, compiled definition; raises ``WorkflowInvalid`` listing every problem."""
    problems = Problems()
    if not isinstance(definition, Mapping):
        problems.add(at, "definition must be an object")
        problems.raise_if_any()
        raise AssertionError("unreachable")
    values = effective_parameters(
        definition.get("parameters"),
        parameters,
        problems,
        child(at, "parameters"),
        at_parameters,
    )
    walker = _Walker(problems, values, exists, salesforce)
    triggers = parse_triggers(
        definition.get("triggers"), child(at, "triggers"), problems, values, salesforce
    )
    root = walker.scope(definition.get("actions"), child(at, "actions"), None, 1, False)
    _check_references(root, problems)
    if any(a.type == "Response" for a in walker.actions.values()) and not any(
        trig.type == "Request" for trig in triggers.values()
    ):
        problems.add(
            child(at, "actions"),
            'a Response action needs a Request trigger ("When a HTTP request is received")',
        )
    outputs = _outputs(definition.get("outputs"), child(at, "outputs"), problems)
    problems.raise_if_any()
    return Definition(
        triggers,
        root,
        values,
        walker.actions,
        walker.parents,
        tuple(walker.connections),
        walker.variables,
        outputs,
    )


def _outputs(raw: Any, at: str, problems: Problems) -> dict[str, tuple[str, CompiledValue]]:
    """The definition's ``outputs`` (``{name: {"type": ..., "value": ...}}``), compiled."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        problems.add(at, "outputs must be an object of name -> {type, value}")
        return {}
    if len(raw) > t.MAX_OUTPUTS:
        problems.add(at, f"a workflow may have at most {t.MAX_OUTPUTS} outputs")
        return {}
    compiled: dict[str, tuple[str, CompiledValue]] = {}
    for name, spec in raw.items():
        where = child(at, name)
        if not isinstance(spec, Mapping) or "value" not in spec:
            problems.add(where, "an output must be an object with type and value")
            continue
        kind = spec.get("type")
        declared = t.output_type(kind) if isinstance(kind, str) else None
        if declared is None:
            problems.add(
                child(where, "type"),
                f"the output type {kind!r} is not one of {', '.join(t.OUTPUT_TYPES)}",
            )
            continue
        value = problems.compile(child(where, "value"), spec["value"])
        if value is not None:
            compiled[name] = (declared, value)
    return compiled
