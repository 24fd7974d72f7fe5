"""Type conversion functions: json, int, float, decimal, string, bool, array, createArray, isInt,
isFloat. (Base64, data URI and URI-component conversions are in ``encodings.py``.)

Numbers parse as .NET parses them (``number_parse.py``): ``int()`` reads a double first, so
``int('1.0')`` is 1, ``int('100000000000000010')`` is 100000000000000016 and ``int('nan')`` is
the smallest 64-bit integer (IA, measured against the runtime); ``float()`` takes thousands
separators and a trailing sign in the culture (en-us by default); ``decimal()`` refuses an
exponent. ``json()`` parses JSON text or binary JSON content; XML is not supported.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from smtp_connector.workflows.expressions.content import CONTENT_TYPE, is_binary, text_of
from smtp_connector.workflows.expressions.context import EvaluationContext
from smtp_connector.workflows.expressions.dotnet_decimal import DecimalOverflow, fit, from_number
from smtp_connector.workflows.expressions.functions.checks import (
    excerpt,
    failure,
    invalid_value,
    type_error,
    want_str,
)
from smtp_connector.workflows.expressions.functions.registry import function
from smtp_connector.workflows.expressions.number_culture import (
    NumberCulture,
    UnknownCulture,
    culture,
)
from smtp_connector.workflows.expressions.number_parse import (
    DECIMAL,
    FLOAT,
    INT_AS_DOUBLE,
    INTEGER,
    parse,
)
from smtp_connector.workflows.expressions.values import is_number

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def _reject_constant(name: str) -> Any:
    raise ValueError(f"'{name}' is not JSON")


@function("json", 1)
def json_(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    """The JSON value a string (or binary JSON content) holds; XML content is refused."""
    value = args[0]
    if is_binary(value):
        if "xml" in value[CONTENT_TYPE].lower():
            raise failure("json", "cannot convert XML: XML values are not supported.")
        text = text_of(value)
    elif isinstance(value, str):
        text = value
    else:
        raise type_error("json", None, "a string", value)
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        reason = "the value is nested too deeply"
    except ValueError as exc:
        reason = str(exc)
    raise failure(
        "json",
        f"parameter is not valid. The provided value '{excerpt(text)}' cannot be parsed: "
        f"'{reason}'.",
    )


def _culture(name: str, args: Sequence[Any], default: str | None) -> NumberCulture:
    """The culture named by the optional second argument (``None``: en-us, ``''``: invariant)."""
    locale = want_str(name, args[1], 1) if len(args) > 1 else default
    try:
        return culture(locale)
    except UnknownCulture:
        raise failure(
            name, f"was invoked with a locale '{excerpt(locale or '')}' that is not valid."
        ) from None


def _int64_of_double(name: str, value: float) -> int:
    if math.isnan(value):
        return INT64_MIN  # the runtime's own result for int('nan') (IA)
    if not value.is_integer() or not INT64_MIN <= value < 2.0**63:
        raise invalid_value(name)
    return int(value)


@function("int", 1)
def int_(ctx: EvaluationContext, args: Sequence[Any]) -> int:
    """The 64-bit integer a string or number stands for; a fraction or overflow is an error."""
    value = args[0]
    if isinstance(value, str):
        parsed = parse(value, culture(None), INT_AS_DOUBLE)
        if parsed is None:
            raise invalid_value("int")
        return _int64_of_double("int", parsed.to_float())
    if isinstance(value, float):
        return _int64_of_double("int", value)
    if isinstance(value, Decimal):
        if value != value.to_integral_value() or not INT64_MIN <= value <= INT64_MAX:
            raise invalid_value("int")
        return int(value)
    if is_number(value):
        return int(value)
    raise type_error("int", None, "a string or a number", value)


@function("float", 1, 2)
def float_(ctx: EvaluationContext, args: Sequence[Any]) -> float:
    """The double a string spells in the culture (en-us by default) or a number's value."""
    value = args[0]
    if isinstance(value, str):
        numbers = _culture("float", args, None)
        parsed = parse(value, numbers, FLOAT)
        if parsed is None:
            raise invalid_value("float")
        return parsed.to_float()
    if is_number(value):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    raise type_error("float", 0, "a string or a number", value)


@function("decimal", 1)
def decimal_(ctx: EvaluationContext, args: Sequence[Any]) -> Decimal:
    """A .NET decimal (28-29 digits, scale kept: ``decimal('5.0000')`` prints ``5.0000``)."""
    value = args[0]
    try:
        if isinstance(value, str):
            parsed = parse(value, culture(""), DECIMAL)
            if parsed is None:
                raise invalid_value("decimal")
            return fit(parsed.to_decimal())
        if is_number(value):
            return from_number(value)
    except DecimalOverflow:
        raise invalid_value("decimal") from None
    raise type_error("decimal", None, "a string or a number", value)


@function("string", 1)
def string(ctx: EvaluationContext, args: Sequence[Any]) -> str:
    """The text of the value: null is empty, ``True``/``False``, compact JSON for containers."""
    return text_of(args[0])


@function("bool", 1)
def bool_(ctx: EvaluationContext, args: Sequence[Any]) -> bool:
    """A boolean, a number (non-zero is true) or ``'true'``/``'false'`` in any case."""
    value = args[0]
    if isinstance(value, bool):
        return value
    if is_number(value):
        return bool(value != 0)
    if isinstance(value, str):
        word = value.strip(" \t\n\v\f\r\0").lower()
        if word in ("true", "false"):
            return word == "true"
        raise invalid_value("bool")
    raise type_error("bool", None, "a boolean, a number or a string", value)


@function("array", 1)
def array(ctx: EvaluationContext, args: Sequence[Any]) -> list[Any]:
    """An array holding the one value."""
    return [args[0]]


@function("createArray", 1, None)
def create_array(ctx: EvaluationContext, args: Sequence[Any]) -> list[Any]:
    """An array of the arguments, in order."""
    return list(args)


@function("isInt", 1)
def is_int(ctx: EvaluationContext, args: Sequence[Any]) -> bool:
    """Whether the string is a 64-bit integer (sign, thousands separators, exponent allowed)."""
    text = want_str("isInt", args[0], None)
    parsed = parse(text, culture(""), INTEGER)
    if parsed is None:
        return False
    number = parsed.to_decimal()
    if number.adjusted() > 19:
        return False
    return number == number.to_integral_value() and INT64_MIN <= number <= INT64_MAX


@function("isFloat", 1, 2)
def is_float(ctx: EvaluationContext, args: Sequence[Any]) -> bool:
    """Whether the string is a number in the culture (invariant by default)."""
    text = want_str("isFloat", args[0], 0)
    numbers = _culture("isFloat", args, "")
    return parse(text, numbers, FLOAT) is not None
