"""Workflow (reference) functions: what an expression can read from the running workflow.

``trigger()``, ``triggerOutputs()`` (= ``trigger().outputs``), ``triggerBody()``
(= ``trigger().outputs.body``), ``actions(X)``, ``outputs(X)`` / ``actionOutputs(X)``
(= ``actions(X).outputs``), ``body(X)`` / ``actionBody(X)`` (= ``actions(X).outputs.body``),
``action()``, ``item()``, ``items(loop)``, ``iterationIndexes(loop)``, ``variables(name)``,
``parameters(name)``, ``result(scope)``, ``workflow()``, ``listCallbackUrl()``,
``appsetting(name)``.

Each calls the ``EvaluationContext``; a name that is not in scope fails there. The shortcuts
are null-safe like the runtime's: a trigger or action without outputs (or outputs without a
body) gives null, not an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from smtp_connector.workflows.expressions.context import EvaluationContext
from smtp_connector.workflows.expressions.functions.arguments import ONLY, expect_string
from smtp_connector.workflows.expressions.functions.registry import function


def _plain(record: Any) -> Any:
    """A context may hand out any mapping (a read-only view, ...); expressions only ever see
    dicts and lists, so such a record is converted, all the way down (without recursion)."""
    if type(record) is dict or not isinstance(record, Mapping):
        return record
    top = dict(record)
    stack: list[Any] = [top]
    while stack:
        container = stack.pop()
        keys = range(len(container)) if type(container) is list else list(container)
        for key in keys:
            item = container[key]
            if isinstance(item, Mapping):
                item = container[key] = dict(item)
                stack.append(item)
            elif isinstance(item, list | tuple):
                item = container[key] = list(item)
                stack.append(item)
    return top


def _member(record: Any, key: str) -> Any:
    return _plain(record.get(key)) if isinstance(record, Mapping) else None


@function("trigger", 0)
def trigger(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    return _plain(ctx.trigger())


@function("triggerOutputs", 0)
def trigger_outputs(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    return _member(ctx.trigger(), "outputs")


@function("triggerBody", 0)
def trigger_body(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    return _member(_member(ctx.trigger(), "outputs"), "body")


@function("actions", 1)
def actions(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    return _plain(ctx.action(expect_string("actions", ONLY, args[0])))


@function("outputs", 1)
def outputs(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    return _member(ctx.action(expect_string("outputs", ONLY, args[0])), "outputs")


@function("actionOutputs", 1)
def action_outputs(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    return _member(ctx.action(expect_string("actionOutputs", ONLY, args[0])), "outputs")


@function("body", 1)
def body(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    record = ctx.action(expect_string("body", ONLY, args[0]))
    return _member(_member(record, "outputs"), "body")


@function("actionBody", 1)
def action_body(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    record = ctx.action(expect_string("actionBody", ONLY, args[0]))
    return _member(_member(record, "outputs"), "body")


@function("action", 0)
def action(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    return _plain(ctx.current_action())


@function("item", 0)
def item(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    return ctx.item(None)


@function("items", 1)
def items(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    return ctx.item(expect_string("items", ONLY, args[0]))


@function("iterationIndexes", 1)
def iteration_indexes(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    return ctx.iteration_index(expect_string("iterationIndexes", ONLY, args[0]))


@function("variables", 1)
def variables(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    return ctx.variable(expect_string("variables", ONLY, args[0]))


@function("parameters", 1)
def parameters(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    return ctx.parameter(expect_string("parameters", ONLY, args[0]))


@function("result", 1)
def result(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    return ctx.result(expect_string("result", ONLY, args[0]))


@function("workflow", 0)
def workflow(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    return _plain(ctx.workflow())


@function("listCallbackUrl", 0)
def list_callback_url(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    return ctx.callback_url()


@function("appsetting", 1)
def appsetting(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    return ctx.app_setting(expect_string("appsetting", ONLY, args[0]))
