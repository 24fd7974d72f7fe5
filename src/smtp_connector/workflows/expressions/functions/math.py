"""Math functions: add, sub, mul, div, mod, min, max, rand, range.

Types follow .NET's: two integers give an integer (64-bit: a result outside Int64 is an error,
as .NET's checked arithmetic raises ``OverflowException``), a float operand gives a float
(overflow is infinity), a ``decimal()`` operand gives a decimal (the other operand converted;
outside the decimal range is an error). Integer division truncates toward zero; ``mod`` takes the
dividend's sign (``math.fmod``). Division or remainder by zero is an error, for floats too.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from smtp_connector.workflows.expressions.context import EvaluationContext
from smtp_connector.workflows.expressions.dotnet_decimal import (
    ARITHMETIC,
    DIVISION,
    DecimalOverflow,
    fit,
    from_number,
)
from smtp_connector.workflows.expressions.errors import (
    ExpressionEvaluationError,
    ExpressionLimitExceeded,
)
from smtp_connector.workflows.expressions.functions.checks import (
    Number,
    failure,
    usage,
    want_int,
    want_number,
)
from smtp_connector.workflows.expressions.functions.registry import function

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
RANGE_COUNT_LIMIT = 100_000
INT32_MAX = 2**31 - 1
INT32_MIN = -(2**31)


def _overflow(name: str) -> ExpressionEvaluationError:
    return ExpressionEvaluationError(
        f"The template language function '{name}' cannot be evaluated: "
        f"Arithmetic operation resulted in an overflow. {usage(name)}"
    )


def _divide_by_zero(name: str) -> ExpressionEvaluationError:
    return ExpressionEvaluationError(
        f"The template language function '{name}' cannot be evaluated: "
        f"Attempted to divide by zero. {usage(name)}"
    )


def _as_float(value: Number) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _int64(name: str, value: int) -> int:
    if not INT64_MIN <= value <= INT64_MAX:
        raise _overflow(name)
    return value


def _arithmetic(
    name: str,
    args: Sequence[Any],
    on_int: Callable[[int, int], int],
    on_float: Callable[[float, float], float],
    on_decimal: Callable[[Decimal, Decimal], Decimal],
) -> Number:
    a = want_number(name, args[0], 0)
    b = want_number(name, args[1], 1)
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        try:
            return fit(on_decimal(from_number(a), from_number(b)))
        except DecimalOverflow:
            raise _overflow(name) from None
    if isinstance(a, float) or isinstance(b, float):
        return on_float(_as_float(a), _as_float(b))
    assert isinstance(a, int) and isinstance(b, int)
    return _int64(name, on_int(a, b))


@function("add", 2)
def add(ctx: EvaluationContext, args: Sequence[Any]) -> Number:
    """The sum of two numbers."""
    return _arithmetic(
        "add", args, lambda a, b: a + b, lambda a, b: a + b, lambda a, b: ARITHMETIC.add(a, b)
    )


@function("sub", 2)
def sub(ctx: EvaluationContext, args: Sequence[Any]) -> Number:
    """The first number minus the second."""
    return _arithmetic(
        "sub", args, lambda a, b: a - b, lambda a, b: a - b, lambda a, b: ARITHMETIC.subtract(a, b)
    )


@function("mul", 2)
def mul(ctx: EvaluationContext, args: Sequence[Any]) -> Number:
    """The product of two numbers."""
    return _arithmetic(
        "mul", args, lambda a, b: a * b, lambda a, b: a * b, lambda a, b: ARITHMETIC.multiply(a, b)
    )


def _nonzero(name: str, args: Sequence[Any]) -> None:
    divisor = want_number(name, args[1], 1)
    want_number(name, args[0], 0)
    if divisor == 0:
        raise _divide_by_zero(name)


def _truncating_division(a: int, b: int) -> int:
    quotient = abs(a) // abs(b)
    return quotient if (a < 0) == (b < 0) else -quotient


@function("div", 2)
def div(ctx: EvaluationContext, args: Sequence[Any]) -> Number:
    """The quotient: truncated toward zero for two integers (``div(11, 5)`` is 2), else exact."""
    _nonzero("div", args)
    return _arithmetic(
        "div", args, _truncating_division, lambda a, b: a / b, lambda a, b: DIVISION.divide(a, b)
    )


def _int_remainder(a: int, b: int) -> int:
    remainder = abs(a) % abs(b)
    return -remainder if a < 0 else remainder


def _float_remainder(a: float, b: float) -> float:
    try:
        return math.fmod(a, b)
    except ValueError:  # an infinite dividend: .NET gives NaN
        return math.nan


@function("mod", 2)
def mod(ctx: EvaluationContext, args: Sequence[Any]) -> Number:
    """The remainder of the division, with the dividend's sign (``mod(-5, 2)`` is -1)."""
    _nonzero("mod", args)
    return _arithmetic(
        "mod", args, _int_remainder, _float_remainder, lambda a, b: ARITHMETIC.remainder(a, b)
    )


def _extreme(name: str, args: Sequence[Any], pick: Callable[[list[Number]], Number]) -> Number:
    if len(args) == 1 and isinstance(args[0], list):
        if not args[0]:
            raise failure(name, "expects a non-empty array or at least one number.")
        values = [want_number(name, value, 0) for value in args[0]]
    else:
        values = [want_number(name, value, index) for index, value in enumerate(args)]
    result = pick(values)
    if any(isinstance(value, Decimal) for value in values):
        try:
            return from_number(result)
        except DecimalOverflow:
            raise _overflow(name) from None
    if any(isinstance(value, float) for value in values):
        return _as_float(result)
    return result


@function("min", 1, None)
def min_(ctx: EvaluationContext, args: Sequence[Any]) -> Number:
    """The smallest of the numbers, or of the numbers in one array."""
    return _extreme("min", args, min)


@function("max", 1, None)
def max_(ctx: EvaluationContext, args: Sequence[Any]) -> Number:
    """The largest of the numbers, or of the numbers in one array."""
    return _extreme("max", args, max)


@function("rand", 2)
def rand(ctx: EvaluationContext, args: Sequence[Any]) -> int:
    """A random integer from ``minValue`` (inclusive) to ``maxValue`` (exclusive)."""
    low = want_int("rand", args[0], 0)
    high = want_int("rand", args[1], 1)
    if low > high:
        raise failure("rand", "expects its first parameter to be no larger than its second.")
    return low if low == high else random.randrange(low, high)


@function("range", 2)
def range_(ctx: EvaluationContext, args: Sequence[Any]) -> list[int]:
    """``count`` consecutive integers from ``startIndex``; ``count`` is at most 100,000 and
    ``startIndex + count`` at most 2,147,483,647."""
    start = want_int("range", args[0], 0)
    count = want_int("range", args[1], 1)
    if count > RANGE_COUNT_LIMIT:
        raise ExpressionLimitExceeded(
            f"The template language function 'range' was given a count of {count}; the limit "
            f"is {RANGE_COUNT_LIMIT}. {usage('range')}"
        )
    if count < 0 or start < INT32_MIN or start + count > INT32_MAX:
        raise failure(
            "range",
            "parameters are out of range: 'count' must be a non-negative integer and "
            f"'startIndex' + 'count' must be no larger than {INT32_MAX}.",
        )
    return list(range(start, start + count))
