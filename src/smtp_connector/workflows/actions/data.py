"""Data operations: Compose, ParseJson, Query (filter an array), Select (map an array)."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import validators

from smtp_connector.workflows.actions.base import Outcome, Step, failed, field, succeeded
from smtp_connector.workflows.engine.context import Loop
from smtp_connector.workflows.engine.records import invalid_inputs
from smtp_connector.workflows.expressions import ExpressionError
from smtp_connector.workflows.statuses import Status


async def compose(step: Step) -> Outcome:
    return succeeded(step.inputs)


async def parse_json(step: Step) -> Outcome:
    content = field(step.inputs, "content")
    if isinstance(content, str):
        try:
            content = json.loads(content)
        except ValueError as exc:
            return failed("BadRequest", "InvalidJSON", f"The content is not valid JSON: {exc}")
    schema = field(step.inputs, "schema")
    if isinstance(schema, dict):
        validator = validators.validator_for(schema)(schema)
        errors = sorted(validator.iter_errors(content), key=lambda e: list(e.absolute_path))
        if errors:
            details = "; ".join(
                f"{'/' + '/'.join(str(p) for p in e.absolute_path)}: {e.message}"
                for e in errors[:10]
            )
            return failed(
                "BadRequest",
                "ValidationFailed",
                f"The schema validation failed: {details}",
                outputs={"body": content},
            )
    return succeeded({"body": content})


def _array(step: Step, role: str) -> list[Any] | Outcome:
    compiled = step.spec.compiled.get(role)
    try:
        value = compiled.evaluate(step.ctx) if compiled is not None else None
    except ExpressionError as exc:
        return Outcome(
            Status.FAILED, "BadRequest", None, invalid_inputs(step.spec.name, exc.message)
        )
    if not isinstance(value, list):
        return failed(
            "BadRequest",
            "InvalidTemplate",
            f"The '{role}' property of action '{step.spec.name}' must be an array.",
        )
    return value


def _per_item(step: Step, role: str) -> tuple[list[Any], list[Any]] | Outcome:
    """The ``from`` array and, for each item, the value of the ``role`` expression with
    ``item()`` bound to it."""
    items = _array(step, "from")
    if isinstance(items, Outcome):
        return items
    part = step.spec.compiled[role]
    values: list[Any] = []
    for index, item in enumerate(items):
        try:
            values.append(part.evaluate(step.ctx.inside(Loop(step.spec.name, index, item))))
        except ExpressionError as exc:
            return Outcome(
                Status.FAILED, "BadRequest", None, invalid_inputs(step.spec.name, exc.message)
            )
    return items, values


async def query(step: Step) -> Outcome:
    """Filter array: the items whose ``where`` is true."""
    found = _per_item(step, "where")
    if isinstance(found, Outcome):
        return found
    items, keep = found
    kept = [item for item, verdict in zip(items, keep, strict=True) if verdict is True]
    where = step.spec.raw["inputs"]["where"]
    return succeeded({"body": kept}, inputs={"from": items, "where": where})


async def select(step: Step) -> Outcome:
    """Select: ``select`` evaluated for each item."""
    found = _per_item(step, "select")
    if isinstance(found, Outcome):
        return found
    items, mapped = found
    shape = step.spec.raw["inputs"]["select"]
    return succeeded({"body": mapped}, inputs={"from": items, "select": shape})
