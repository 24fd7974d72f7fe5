"""The Request trigger ("When a HTTP request is received"): its outputs from an HTTP call.

Outputs: ``headers``, ``body`` (JSON when the call sends JSON, else text), ``queries`` (the
call's query parameters but the signature's) and ``relativePathParameters`` (the ``{name}``
segments of ``relativePath``). With a ``schema`` the body must validate: every failing place is
reported with its JSON pointer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import validators

from smtp_connector.errors import FieldProblem, InvalidInput
from smtp_connector.workflows.definition.model import TriggerSpec

SIGNATURE_QUERIES = frozenset({"api-version", "sp", "sv", "sig"})
MAX_SCHEMA_ERRORS = 50


@dataclass(frozen=True)
class HttpCall:
    method: str
    path: str
    """What follows ``/invoke`` in the URL (``""`` or ``/orders/42``)."""
    headers: Mapping[str, str]
    queries: Mapping[str, str]
    body: bytes


class SchemaViolation(InvalidInput):
    code = "schema_validation_failed"


class MethodNotAllowed(InvalidInput):
    code = "method_not_allowed"


def path_parameters(template: str | None, path: str) -> dict[str, str] | None:
    """``{"id": "42"}`` for ``orders/{id}`` and ``/orders/42``; ``None`` when they differ."""
    given = [p for p in path.strip("/").split("/") if p]
    if not template:
        return {} if not given else None
    wanted = [p for p in template.strip("/").split("/") if p]
    if len(wanted) != len(given):
        return None
    found: dict[str, str] = {}
    for pattern, value in zip(wanted, given, strict=True):
        if pattern.startswith("{") and pattern.endswith("}"):
            found[pattern[1:-1]] = value
        elif pattern.casefold() != value.casefold():
            return None
    return found


def parse_body(call: HttpCall) -> Any:
    if not call.body:
        return None
    content_type = call.headers.get("content-type", "").split(";")[0].strip().casefold()
    text = call.body.decode("utf-8", errors="replace")
    if content_type == "application/json" or content_type.endswith("+json") or not content_type:
        try:
            return json.loads(text)
        except RecursionError as exc:
            raise InvalidInput.field("body", "The JSON body is nested too deeply.") from exc
        except ValueError as exc:
            if content_type:
                raise InvalidInput.field("body", f"The body is not valid JSON: {exc}") from exc
    return text


def trigger_outputs(spec: TriggerSpec, call: HttpCall) -> dict[str, Any]:
    """The trigger's outputs for ``call``; raises ``InvalidInput`` (a 400) on a bad call."""
    inputs = spec.inputs
    method = inputs.get("method")
    if isinstance(method, str) and method.upper() != call.method.upper():
        raise MethodNotAllowed.field("method", f"This trigger takes {method.upper()} requests.")
    relative = inputs.get("relativePath")
    parameters = path_parameters(relative if isinstance(relative, str) else None, call.path)
    if parameters is None:
        raise InvalidInput.field(
            "path", f"The path does not match the trigger's relativePath {relative!r}."
        )
    body = parse_body(call)
    schema = inputs.get("schema")
    if isinstance(schema, Mapping) and schema:
        _validate(schema, body)
    return {
        "headers": dict(call.headers),
        "body": body,
        "queries": {k: v for k, v in call.queries.items() if k not in SIGNATURE_QUERIES},
        "relativePathParameters": parameters,
    }


def _validate(schema: Mapping[str, Any], body: Any) -> None:
    validator = validators.validator_for(schema)(schema)
    problems: list[FieldProblem] = []
    for error in validator.iter_errors(body):
        where = "/body" + "".join(
            "/" + str(p).replace("~", "~0").replace("/", "~1") for p in error.absolute_path
        )
        problems.append(FieldProblem(where, error.message))
        if len(problems) >= MAX_SCHEMA_ERRORS:
            break
    if problems:
        problems.sort(key=lambda p: p.field)
        raise SchemaViolation(
            f"The request body does not match the trigger's schema: {problems[0].field}: "
            f"{problems[0].message}",
            problems,
        )
