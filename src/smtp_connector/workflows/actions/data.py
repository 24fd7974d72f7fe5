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


async def query(step: Step) -> Outcome:
    items = _array(step, "from")
    if isinstance(items, Outcome):
        return items
    where = step.spec.compiled["where"]
    kept: list[Any] = []
    for index, item in enumerate(items):
        ctx = step.ctx.inside(Loop(step.spec.name, index, item))
        try:
            keep = where.evaluate(ctx)
        except ExpressionError as exc:
            return Outcome(
                Status.FAILED, "BadRequest", None, invalid_inputs(step.spec.name, exc.message)
            )
        if keep is True:
            kept.append(item)
    return succeeded(
        {"body": kept}, inputs={"from": items, "where": step.spec.raw["inputs"]["where"]}
    )


async def select(step: Step) -> Outcome:
    items = _array(step, "from")
    if isinstance(items, Outcome):
        return items
    shape = step.spec.compiled["select"]
    mapped: list[Any] = []
    for index, item in enumerate(items):
        ctx = step.ctx.inside(Loop(step.spec.name, index, item))
        try:
            mapped.append(shape.evaluate(ctx))
        except ExpressionError as exc:
            return Outcome(
                Status.FAILED, "BadRequest", None, invalid_inputs(step.spec.name, exc.message)
            )
    return succeeded(
        {"body": mapped}, inputs={"from": items, "select": step.spec.raw["inputs"]["select"]}
    )
