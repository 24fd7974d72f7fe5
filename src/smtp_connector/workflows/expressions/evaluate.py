"""Evaluation: a tree is turned once into nested Python closures, which a run then calls.

Dereferences follow the runtime:

- property names match case-insensitively; an exact-case key wins, else the first key that
  matches ignoring case;
- ``x?.p`` / ``x?[k]`` give null when ``x`` is null, the property is missing or the index is
  out of range; without ``?`` each of those is an error worded like the runtime's;
- arrays take integer indexes only; strings, numbers and booleans have no properties.

Arguments are evaluated left to right; a lazy function (``if``, ``and``, ``or``, ``coalesce``)
gets thunks instead and evaluates only what it needs. A function that fails with anything other
than an ``ExpressionError`` has its failure reported as an ``ExpressionEvaluationError``, so a
bad value can fail an action but never crash the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from smtp_connector.workflows.expressions.ast import Call, Dereference, Literal, Node
from smtp_connector.workflows.expressions.context import EvaluationContext
from smtp_connector.workflows.expressions.errors import (
    USAGE,
    ExpressionError,
    ExpressionEvaluationError,
)
from smtp_connector.workflows.expressions.render import to_text
from smtp_connector.workflows.expressions.values import type_name

Evaluator = Callable[[EvaluationContext], Any]
"""A compiled expression: call it with a context to get the value."""

_MISSING = object()


def evaluate(node: Node, ctx: EvaluationContext, source: str = "") -> Any:
    """The value of ``node`` in ``ctx``; ``source`` is the expression text quoted in errors.
    Raises ``ExpressionEvaluationError`` (or a function's own ``ExpressionError``)."""
    return compile_node(node, source)(ctx)


def compile_node(node: Node, source: str) -> Evaluator:
    """A closure evaluating ``node``; ``source`` is the expression text quoted in errors."""
    if isinstance(node, Literal):
        value = node.value

        def constant(ctx: EvaluationContext) -> Any:
            return value

        return constant
    if isinstance(node, Call):
        return _compile_call(node, source)
    return _compile_dereference(node, source)


def _compile_call(node: Call, source: str) -> Evaluator:
    impl = node.function.impl
    name = node.function.name
    args = tuple(compile_node(arg, source) for arg in node.args)

    if node.function.lazy:

        def gather(ctx: EvaluationContext) -> Any:
            return [partial(arg, ctx) for arg in args]

    elif not args:

        def gather(ctx: EvaluationContext) -> Any:
            return ()

    elif len(args) == 1:
        (only,) = args

        def gather(ctx: EvaluationContext) -> Any:
            return (only(ctx),)

    else:

        def gather(ctx: EvaluationContext) -> Any:
            return [arg(ctx) for arg in args]

    def call(ctx: EvaluationContext) -> Any:
        values = gather(ctx)
        try:
            return impl(ctx, values)
        except ExpressionError:
            raise
        except (ArithmeticError, LookupError, TypeError, ValueError) as exc:
            raise ExpressionEvaluationError(
                f"The template language function '{name}' failed to evaluate: {exc}. {USAGE}"
            ) from exc

    return call


def _compile_dereference(node: Dereference, source: str) -> Evaluator:
    target = compile_node(node.target, source)
    safe = node.safe
    if isinstance(node.key, Literal) and isinstance(node.key.value, str):
        name = node.key.value

        def member(ctx: EvaluationContext) -> Any:
            base = target(ctx)
            if type(base) is dict:
                value = base.get(name, _MISSING)
                if value is not _MISSING:
                    return value
            return select(base, name, safe, source)

        return member

    key = compile_node(node.key, source)

    def index(ctx: EvaluationContext) -> Any:
        base = target(ctx)
        if base is None and safe:
            return None
        return select(base, key(ctx), safe, source)

    return index


def select(base: Any, key: Any, safe: bool, source: str) -> Any:
    """``base[key]`` with the runtime's rules (see the module docstring); ``source`` is the
    expression text quoted in errors. Raises ``ExpressionEvaluationError``."""
    if isinstance(base, dict):
        name = key if isinstance(key, str) else to_text(key)
        value = _lookup(base, name)
        if value is not _MISSING:
            return value
        if safe:
            return None
        available = ", ".join(base)
        raise ExpressionEvaluationError(
            f"The template language expression '{source}' cannot be evaluated because property "
            f"'{name}' doesn't exist, available properties are '{available}'. {USAGE}"
        )
    if isinstance(base, list):
        if not isinstance(key, int) or isinstance(key, bool):
            raise ExpressionEvaluationError(
                f"The template language expression '{source}' cannot be evaluated because "
                f"property '{to_text(key)}' cannot be selected. Array elements can only be "
                f"selected using an integer index. {USAGE}"
            )
        if 0 <= key < len(base):
            return base[key]
        if safe:
            return None
        raise ExpressionEvaluationError(
            f"The template language expression '{source}' cannot be evaluated because array "
            f"index '{key}' is outside bounds (0, {len(base) - 1}) of array. {USAGE}"
        )
    if base is None and safe:
        return None
    raise ExpressionEvaluationError(
        f"The template language expression '{source}' cannot be evaluated because property "
        f"'{to_text(key)}' cannot be selected. Property selection is not supported on values "
        f"of type '{type_name(base)}'. {USAGE}"
    )


def _lookup(record: dict[str, Any], name: str) -> Any:
    """``record[name]`` ignoring case (exact case first); ``_MISSING`` when absent."""
    value = record.get(name, _MISSING)
    if value is not _MISSING:
        return value
    folded = name.lower()
    for key, value in record.items():
        if key.lower() == folded:
            return value
    return _MISSING
