"""Per-type checks of an action's inputs and a trigger's settings, at save time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema import SchemaError, validators

from smtp_connector.workflows.definition import types as t
from smtp_connector.workflows.definition.connections import resolve_api_connection
from smtp_connector.workflows.definition.problems import Problems

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
TERMINATE_STATUSES = ("Failed", "Cancelled", "Succeeded")
WAIT_UNITS = ("Second", "Minute", "Hour", "Day", "Week", "Month")


def check_schema(schema: Any, at: str, problems: Problems) -> None:
    if not isinstance(schema, Mapping):
        problems.add(at, "schema must be a JSON Schema object")
        return
    try:
        validators.validator_for(schema).check_schema(dict(schema))
    except SchemaError as exc:
        problems.add(at, f"not a valid JSON Schema: {exc.message}")


def check_trigger(kind: str, spec: Mapping[str, Any], at: str, problems: Problems) -> None:
    inputs = spec.get("inputs", {})
    if kind == "Request":
        if not isinstance(inputs, Mapping):
            problems.add(at + "/inputs", "inputs must be an object")
            return
        method = inputs.get("method")
        if method is not None and (
            not isinstance(method, str) or method.upper() not in HTTP_METHODS
        ):
            problems.add(at + "/inputs/method", f"method must be one of {', '.join(HTTP_METHODS)}")
        path = inputs.get("relativePath")
        if path is not None:
            _check_relative_path(path, at + "/inputs/relativePath", problems)
        if "schema" in inputs:
            check_schema(inputs["schema"], at + "/inputs/schema", problems)
    elif kind == "Recurrence":
        from smtp_connector.workflows.schedule import Recurrence, RecurrenceError

        try:
            Recurrence.parse(spec.get("recurrence"))
        except RecurrenceError as exc:
            for where, message in exc.problems:
                problems.add(at + "/recurrence" + where, message)


def _check_relative_path(path: Any, at: str, problems: Problems) -> None:
    if not isinstance(path, str) or len(path) > 1024:
        problems.add(at, "relativePath must be a string of at most 1024 characters")
        return
    for segment in path.strip("/").split("/"):
        if "{" in segment or "}" in segment:
            inner = segment[1:-1]
            if not (segment.startswith("{") and segment.endswith("}") and inner.isidentifier()):
                problems.add(at, f"the segment {segment!r} must be a whole {{name}} parameter")


def check_action_inputs(
    kind: str,
    name: str,
    raw: Mapping[str, Any],
    at: str,
    problems: Problems,
    parameters: Mapping[str, Any],
    variables: dict[str, str],
    parent: str | None,
    loop: bool,
) -> str | None:
    """Check ``raw`` (an action of type ``kind``); returns the connection it uses, if any.

    ``variables`` gathers the variables InitializeVariable declares (casefolded name -> type).
    """
    inputs = raw.get("inputs")
    in_at = at + "/inputs"
    needs_inputs = kind not in (*t.CONTROL_TYPES,)
    if needs_inputs and not isinstance(inputs, Mapping) and kind != "Compose":
        problems.add(in_at, f"a {kind} action needs an 'inputs' object")
        return None
    if kind == "Compose":
        if "inputs" not in raw:
            problems.add(in_at, "a Compose action needs 'inputs'")
        return None
    if kind in t.CONTROL_TYPES:
        _check_control(kind, raw, at, problems)
        return None
    assert isinstance(inputs, Mapping)
    if kind in ("ApiConnection", "ServiceProvider"):
        _check_retry_policy(inputs, in_at, problems)
    if kind == "ApiConnection":
        return _check_api_connection(inputs, in_at, problems, parameters)
    if kind == "ServiceProvider":
        return _check_service_provider(inputs, in_at, problems)
    if kind in t.VARIABLE_TYPES:
        _check_variable(kind, inputs, in_at, problems, variables, parent)
    elif kind == "Response":
        if loop:
            problems.add(at, "a Response action cannot be inside a Foreach or Until loop")
        if "statusCode" not in inputs:
            problems.add(in_at + "/statusCode", "a Response needs a statusCode")
    elif kind == "Terminate":
        status = inputs.get("runStatus")
        if not isinstance(status, str) or status.casefold() not in {
            s.casefold() for s in TERMINATE_STATUSES
        }:
            problems.add(in_at + "/runStatus", "runStatus must be Failed, Cancelled or Succeeded")
    elif kind == "ParseJson":
        if "content" not in inputs:
            problems.add(in_at + "/content", "ParseJson needs 'content'")
        if "schema" in inputs:
            check_schema(inputs["schema"], in_at + "/schema", problems)
        else:
            problems.add(in_at + "/schema", "ParseJson needs a 'schema'")
    elif kind in ("Query", "Select"):
        if "from" not in inputs:
            problems.add(in_at + "/from", f"{kind} needs 'from'")
        key = "where" if kind == "Query" else "select"
        if key not in inputs:
            problems.add(in_at + "/" + key, f"{kind} needs '{key}'")
    elif kind == "Wait":
        _check_wait(inputs, in_at, problems)
    return None


def _check_control(kind: str, raw: Mapping[str, Any], at: str, problems: Problems) -> None:
    if kind in ("If", "Switch", "Until") and "expression" not in raw:
        problems.add(at + "/expression", f"a {kind} action needs an 'expression'")
    if kind == "Foreach" and not isinstance(raw.get("foreach"), str):
        problems.add(at + "/foreach", "a Foreach action needs 'foreach': an expression")
    if kind == "Until":
        limit = raw.get("limit", {})
        count = limit.get("count", 60) if isinstance(limit, Mapping) else None
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 5000:
            problems.add(at + "/limit/count", "limit.count must be an integer from 1 to 5000")


def _check_retry_policy(inputs: Mapping[str, Any], at: str, problems: Problems) -> None:
    from smtp_connector.workflows.schedule import RetryPolicy, RetryPolicyError

    if "retryPolicy" not in inputs:
        return
    try:
        RetryPolicy.parse(inputs["retryPolicy"])
    except RetryPolicyError as exc:
        for where, message in exc.problems:
            problems.add(at + "/retryPolicy" + where, message)


def _check_api_connection(
    inputs: Mapping[str, Any], at: str, problems: Problems, parameters: Mapping[str, Any]
) -> str | None:
    path = inputs.get("path")
    if not isinstance(path, str):
        problems.add(at + "/path", "an ApiConnection action needs a 'path'")
    elif not path.startswith("@") and path.casefold() not in {
        p.casefold() for p in t.SEND_EMAIL_PATHS
    }:
        problems.add(
            at + "/path",
            f"the operation {path!r} is not supported; supported: "
            + ", ".join(f"POST {p}" for p in t.SEND_EMAIL_PATHS),
        )
    method = inputs.get("method", "post")
    if not isinstance(method, str) or method.casefold() != "post":
        problems.add(at + "/method", "Send Email is 'post'")
    host = inputs.get("host")
    if not isinstance(host, Mapping):
        problems.add(at + "/host", "an ApiConnection action needs host.connection")
        return None
    try:
        return resolve_api_connection(host, parameters)
    except ValueError as exc:
        problems.add(at + "/host/connection", str(exc))
        return None


def _check_service_provider(inputs: Mapping[str, Any], at: str, problems: Problems) -> str | None:
    config = inputs.get("serviceProviderConfiguration")
    if not isinstance(config, Mapping):
        problems.add(at + "/serviceProviderConfiguration", "serviceProviderConfiguration is needed")
        return None
    operation = config.get("operationId")
    if not isinstance(operation, str) or operation.casefold() != "sendemail":
        problems.add(
            at + "/serviceProviderConfiguration/operationId",
            f"the operation {operation!r} is not supported; supported: sendEmail",
        )
    if not isinstance(inputs.get("parameters"), Mapping):
        problems.add(at + "/parameters", "sendEmail needs 'parameters' (from, to, subject, ...)")
    connection = config.get("connectionName")
    if not isinstance(connection, str) or not connection:
        problems.add(
            at + "/serviceProviderConfiguration/connectionName", "connectionName is needed"
        )
        return None
    return connection


_NUMERIC = ("Integer", "Float")


def _check_variable(
    kind: str,
    inputs: Mapping[str, Any],
    at: str,
    problems: Problems,
    variables: dict[str, str],
    parent: str | None,
) -> None:
    if kind == "InitializeVariable":
        if parent is not None:
            problems.add(at, "InitializeVariable must be at the top level of the workflow")
        declared = inputs.get("variables")
        if (
            not isinstance(declared, list)
            or len(declared) != 1
            or not isinstance(declared[0], Mapping)
        ):
            problems.add(at + "/variables", "variables must hold exactly one {name, type, value}")
            return
        entry = declared[0]
        name, type_text = entry.get("name"), entry.get("type")
        value_type = t.variable_value_type(type_text) if isinstance(type_text, str) else None
        if not isinstance(name, str) or not name:
            problems.add(at + "/variables/0/name", "a variable needs a name")
            return
        if value_type is None:
            problems.add(
                at + "/variables/0/type",
                "type must be one of " + ", ".join(t.VARIABLE_VALUE_TYPES),
            )
            return
        if name.casefold() in variables:
            problems.add(at + "/variables/0/name", f"the variable '{name}' is initialized twice")
        variables[name.casefold()] = value_type
        return
    name = inputs.get("name")
    if not isinstance(name, str) or not name:
        problems.add(at + "/name", "the variable's name is needed")
        return
    declared_type = variables.get(name.casefold())
    if declared_type is None:
        problems.add(
            at + "/name",
            f"the variable '{name}' is not initialized before this action "
            "(InitializeVariable at the top level)",
        )
        return
    wanted = {
        "IncrementVariable": _NUMERIC,
        "DecrementVariable": _NUMERIC,
        "AppendToArrayVariable": ("Array",),
        "AppendToStringVariable": ("String",),
    }.get(kind)
    if wanted is not None and declared_type not in wanted:
        problems.add(
            at + "/name",
            f"{kind} needs a variable of type {' or '.join(wanted)}; '{name}' is {declared_type}",
        )
    if kind != "IncrementVariable" and kind != "DecrementVariable" and "value" not in inputs:
        problems.add(at + "/value", f"{kind} needs a 'value'")


def _check_wait(inputs: Mapping[str, Any], at: str, problems: Problems) -> None:
    interval, until = inputs.get("interval"), inputs.get("until")
    if isinstance(interval, Mapping):
        count, unit = interval.get("count"), interval.get("unit")
        if not (isinstance(count, str) and count.startswith("@")) and (
            not isinstance(count, int) or isinstance(count, bool) or count < 0
        ):
            problems.add(at + "/interval/count", "count must be a non-negative integer")
        if not isinstance(unit, str) or unit.casefold() not in {u.casefold() for u in WAIT_UNITS}:
            problems.add(at + "/interval/unit", "unit must be one of " + ", ".join(WAIT_UNITS))
    elif isinstance(until, Mapping):
        if "timestamp" not in until:
            problems.add(at + "/until/timestamp", "until needs a timestamp")
    else:
        problems.add(at, "Wait needs 'interval' {count, unit} or 'until' {timestamp}")
