"""Argument checks shared by the function groups, with the runtime's error sentences.

A type error reads like the Logic Apps runtime's::

    The template language function 'split' expects its first parameter to be of type string.
    The provided value is of type 'Null'. Please see https://aka.ms/logicexpressions#split for
    usage details.

``position`` is the 0-based index of the argument, or ``None`` for a function that takes a
single parameter ("expects its parameter to be ...").
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from smtp_connector.workflows.expressions.errors import (
    ExpressionEvaluationError,
    ExpressionLimitExceeded,
)
from smtp_connector.workflows.expressions.values import STRING_LIMIT, is_number, type_name

Number = int | float | Decimal

_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")


def usage(name: str) -> str:
    """The closing sentence of every error about function ``name``."""
    return f"Please see https://aka.ms/logicexpressions#{name.lower()} for usage details."


def failure(name: str, text: str) -> ExpressionEvaluationError:
    """``The template language function '<name>' <text> Please see ...``."""
    return ExpressionEvaluationError(
        f"The template language function '{name}' {text} {usage(name)}"
    )


def invalid_value(name: str) -> ExpressionEvaluationError:
    """The runtime's sentence for a value of the right type that cannot be converted."""
    return failure(
        name,
        "was invoked with a parameter that is not valid. "
        "The value cannot be converted to the target type.",
    )


def _parameter(position: int | None) -> str:
    if position is None:
        return "its parameter"
    word = _ORDINALS[position] if position < len(_ORDINALS) else f"number {position + 1}"
    return f"its {word} parameter"


def type_error(
    name: str, position: int | None, expected: str, value: Any
) -> ExpressionEvaluationError:
    """``expects its <nth> parameter to be <expected>. The provided value is of type '<T>'.``"""
    return failure(
        name,
        f"expects {_parameter(position)} to be {expected}. "
        f"The provided value is of type '{type_name(value)}'.",
    )


def want_str(name: str, value: Any, position: int | None) -> str:
    """``value`` if it is a string; else the runtime's type error."""
    if isinstance(value, str):
        return value
    raise type_error(name, position, "of type string", value)


def want_int(name: str, value: Any, position: int | None) -> int:
    """``value`` if it is an integer (not a boolean, not a float); else a type error."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise type_error(name, position, "an integer", value)


def want_number(name: str, value: Any, position: int | None) -> Number:
    """``value`` if it is an integer, a float or a decimal; else a type error."""
    if is_number(value):
        return value  # type: ignore[no-any-return]
    raise type_error(name, position, "an integer or a decimal number", value)


def want_list(name: str, value: Any, position: int | None) -> list[Any]:
    """``value`` if it is an array; else a type error."""
    if isinstance(value, list):
        return value
    raise type_error(name, position, "an array", value)


def want_dict(name: str, value: Any, position: int | None) -> dict[str, Any]:
    """``value`` if it is an object; else a type error."""
    if isinstance(value, dict):
        return value
    raise type_error(name, position, "of type object", value)


def check_length(name: str, length: int) -> None:
    """Raise ``ExpressionLimitExceeded`` before building a string longer than ``STRING_LIMIT``."""
    if length > STRING_LIMIT:
        raise ExpressionLimitExceeded(
            f"The template language function '{name}' would produce a string of {length} "
            f"characters; the limit is {STRING_LIMIT}. {usage(name)}"
        )


def excerpt(text: str, limit: int = 100) -> str:
    """``text`` shortened for an error message (hostile inputs can be megabytes long)."""
    return text if len(text) <= limit else text[:limit] + "..."
