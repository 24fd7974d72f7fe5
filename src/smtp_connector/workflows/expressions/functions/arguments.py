"""Argument type checks shared by every function group, with the runtime's wording::

    The template language function 'split' expects its first parameter to be of type string.
    The provided value is of type 'Null'. Please see https://aka.ms/logicexpressions#split for
    usage details.

Each ``expect_*`` returns the value (typed for mypy) or raises ``ExpressionEvaluationError``.
``position`` is 1-based (``1`` -> "its first parameter"); ``ONLY`` (0) says "its parameter",
for functions that take a single one. ``function`` is the canonical name, as registered.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from smtp_connector.workflows.expressions.errors import ExpressionEvaluationError
from smtp_connector.workflows.expressions.values import is_number, type_name

ONLY = 0
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")


def usage(function: str) -> str:
    """The closing sentence pointing at the function's documentation."""
    return f"Please see https://aka.ms/logicexpressions#{function.lower()} for usage details."


def parameter(position: int) -> str:
    """ "its parameter" (``ONLY``), "its first parameter", "its second parameter", ..."""
    if position == ONLY:
        return "its parameter"
    if position <= len(_ORDINALS):
        return f"its {_ORDINALS[position - 1]} parameter"
    return f"its parameter number {position}"


def type_error(
    function: str, position: int, expected: str, value: Any
) -> ExpressionEvaluationError:
    """The error for an argument of the wrong type; ``expected`` completes "to be ..."
    (e.g. "of type string", "an array or a string")."""
    return ExpressionEvaluationError(
        f"The template language function '{function}' expects {parameter(position)} to be "
        f"{expected}. The provided value is of type '{type_name(value)}'. {usage(function)}"
    )


def expect_string(function: str, position: int, value: Any) -> str:
    if isinstance(value, str):
        return value
    raise type_error(function, position, "of type string", value)


def expect_boolean(function: str, position: int, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise type_error(function, position, "of type boolean", value)


def expect_integer(function: str, position: int, value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise type_error(function, position, "an integer", value)


def expect_number(function: str, position: int, value: Any) -> int | float | Decimal:
    if is_number(value):
        return value  # type: ignore[no-any-return]
    raise type_error(function, position, "an integer or a decimal number", value)


def expect_array(function: str, position: int, value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    raise type_error(function, position, "an array", value)


def expect_object(function: str, position: int, value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    raise type_error(function, position, "an object", value)
