"""Logical functions: ``if``, ``and``, ``or``, ``coalesce`` (lazy), ``equals``, ``not``,
``less``, ``lessOrEquals``, ``greater``, ``greaterOrEquals``.

- The lazy ones short-circuit: ``if(true, 1, int('x'))`` is 1, ``and(false, ...)`` and
  ``or(true, ...)`` evaluate no further argument, ``coalesce`` stops at the first non-null.
- ``if``, ``and``, ``or`` and ``not`` take booleans only (no truthiness).
- A null argument of a comparison counts as ``""`` (the reference's note on logical
  comparisons; nulls nested in arrays and objects stay null). ``equals``
  does not convert otherwise (``equals('true', true)`` is false) except that booleans equal the
  numbers 1 and 0 (``equals(true, 1)``) and numbers compare by value across integer, float and
  decimal; arrays and objects compare deeply. ``less`` & co. order two numbers or two strings
  (ordinal: UTF-16 code units, as .NET's ``String.CompareOrdinal``); anything else is an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from smtp_connector.workflows.expressions.context import EvaluationContext
from smtp_connector.workflows.expressions.errors import ExpressionEvaluationError
from smtp_connector.workflows.expressions.functions.arguments import (
    ONLY,
    expect_boolean,
    type_error,
    usage,
)
from smtp_connector.workflows.expressions.functions.registry import function
from smtp_connector.workflows.expressions.values import is_number, type_name


@function("if", 3, lazy=True)
def if_(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    condition = expect_boolean("if", 1, args[0]())
    return args[1]() if condition else args[2]()


@function("and", 1, None, lazy=True)
def and_(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    return all(expect_boolean("and", n, thunk()) for n, thunk in enumerate(args, 1))


@function("or", 1, None, lazy=True)
def or_(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    return any(expect_boolean("or", n, thunk()) for n, thunk in enumerate(args, 1))


@function("coalesce", 1, None, lazy=True)
def coalesce(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    for thunk in args:
        value = thunk()
        if value is not None:
            return value
    return None


@function("not", 1)
def not_(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    return not expect_boolean("not", ONLY, args[0])


@function("equals", 2)
def equals(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    return same(_null_as_empty(args[0]), _null_as_empty(args[1]))


def same(left: Any, right: Any) -> bool:
    """Whether two values are equal in the sense of ``equals()`` (null not converted here)."""
    pairs = [(left, right)]
    while pairs:
        a, b = pairs.pop()
        if isinstance(a, str) or isinstance(b, str) or a is None or b is None:
            if type(a) is not type(b) or a != b:
                return False
        elif isinstance(a, list) or isinstance(b, list):
            if not (isinstance(a, list) and isinstance(b, list)) or len(a) != len(b):
                return False
            pairs.extend(zip(a, b, strict=True))
        elif isinstance(a, dict) or isinstance(b, dict):
            if not (isinstance(a, dict) and isinstance(b, dict)) or a.keys() != b.keys():
                return False
            pairs.extend((a[key], b[key]) for key in a)
        elif not _same_number(a, b):
            return False
    return True


def _same_number(a: Any, b: Any) -> bool:
    # Python already equates True with 1, and int with float; a decimal against a float is
    # compared as two floats (.NET converts), not exactly.
    if isinstance(a, Decimal) and isinstance(b, float):
        return float(a) == b
    if isinstance(a, float) and isinstance(b, Decimal):
        return a == float(b)
    return bool(a == b)


@function("less", 2)
def less(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    order = _compare("less", args[0], args[1])
    return order is not None and order < 0


@function("lessOrEquals", 2)
def less_or_equals(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    order = _compare("lessOrEquals", args[0], args[1])
    return order is not None and order <= 0


@function("greater", 2)
def greater(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    order = _compare("greater", args[0], args[1])
    return order is not None and order > 0


@function("greaterOrEquals", 2)
def greater_or_equals(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    order = _compare("greaterOrEquals", args[0], args[1])
    return order is not None and order >= 0


def _null_as_empty(value: Any) -> Any:
    return "" if value is None else value


def _compare(name: str, left: Any, right: Any) -> int | None:
    """-1, 0 or 1; ``None`` when a NaN is involved (every comparison is then false)."""
    left, right = _null_as_empty(left), _null_as_empty(right)
    for position, value in ((1, left), (2, right)):
        if not (isinstance(value, str) or is_number(value)):
            raise type_error(name, position, "an integer, a float or a string", value)
    if isinstance(left, str) and isinstance(right, str):
        a, b = left.encode("utf-16-be", "surrogatepass"), right.encode("utf-16-be", "surrogatepass")
        return (a > b) - (a < b)
    if isinstance(left, str) or isinstance(right, str):
        raise ExpressionEvaluationError(
            f"The template language function '{name}' expects two values of the same kind: two "
            f"numbers or two strings. The provided values are of type '{type_name(left)}' and "
            f"'{type_name(right)}'. {usage(name)}"
        )
    if left != left or right != right:  # NaN
        return None
    mixed = isinstance(left, Decimal) != isinstance(right, Decimal)
    if mixed and (isinstance(left, float) or isinstance(right, float)):
        left, right = float(left), float(right)
    return int(left > right) - int(left < right)
