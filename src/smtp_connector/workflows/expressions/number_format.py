"""Numbers as .NET's ``ToString(format, culture)`` writes them, for ``formatNumber()``.

Standard formats are a letter and an optional precision: ``C`` currency, ``D`` integer digits,
``E`` scientific, ``F`` fixed, ``G`` general, ``N`` grouped, ``P`` percent, ``R`` round trip,
``X`` hexadecimal. Anything else is a custom format (``#,##0.00``, ``0.###E+0``, ``0;(0)``):
``0`` and ``#`` digit placeholders, ``.``, ``,`` (grouping, or a division by 1000 before the
point), ``%``, ``‰``, ``E0``/``E+0``/``E-0``, ``\\c`` and quoted literals, up to three sections
separated by ``;`` (positive; negative; zero).

Rounding is half away from zero on the exact value, as .NET Core does; a double under a custom
format is first cut to 15 significant digits (.NET's custom-format precision for doubles). A
negative value keeps its sign in a standard format even when it rounds to zero (``-0.00``), and
loses it in a custom format. ``FormatError`` is .NET's ``FormatException``.
"""

from __future__ import annotations

import math
from decimal import Decimal

from smtp_connector.workflows.expressions.errors import ExpressionLimitExceeded
from smtp_connector.workflows.expressions.number_culture import NumberCulture
from smtp_connector.workflows.expressions.number_custom import format_custom
from smtp_connector.workflows.expressions.number_digits import (
    FormatError,
    check_length,
    exact,
    fixed_digits,
    group,
    is_negative,
    shift,
    significant,
)

Number = int | float | Decimal

_MAX_PRECISION = 999_999_999
FORMAT_LIMIT = 100_000
"""Longest format string accepted: a custom format becomes one token per character [inferred]."""

__all__ = ["FormatError", "format_number"]


def format_number(value: Number, fmt: str, culture: NumberCulture) -> str:
    """``value.ToString(fmt, culture)``; raises ``FormatError`` or ``ExpressionLimitExceeded``."""
    if len(fmt) > FORMAT_LIMIT:
        raise ExpressionLimitExceeded(
            f"The number format is {len(fmt)} characters long; the limit is {FORMAT_LIMIT}."
        )
    if isinstance(value, float) and not math.isfinite(value):
        if math.isnan(value):
            return culture.nan
        return culture.infinity if value > 0 else culture.negative_infinity
    standard = _standard(fmt)
    if standard is None:
        return format_custom(value, fmt, culture)
    letter, precision = standard
    return _format_standard(value, letter, precision, culture)


def _standard(fmt: str) -> tuple[str, int | None] | None:
    if fmt == "":
        return "G", None
    letter, digits = fmt[0], fmt[1:]
    if not (letter.isascii() and letter.isalpha()) or len(digits) > 9:
        return None
    if digits and not (digits.isascii() and digits.isdigit()):
        return None
    return letter, (int(digits) if digits else None)


def _format_standard(value: Number, letter: str, precision: int | None, c: NumberCulture) -> str:
    if precision is not None and precision > _MAX_PRECISION:
        raise FormatError("Precision specified is too large.")
    upper = letter.upper()
    negative = is_negative(value)
    if upper in ("D", "X"):
        if not isinstance(value, int):
            raise FormatError("Format specifier was invalid.")
        return _format_integer(value, letter, precision or 0, c)
    number = exact(value)
    if upper == "R":
        if not isinstance(value, float):
            raise FormatError("Format specifier was invalid.")
        return c.number.around(_general(Decimal(repr(abs(value))), None, 15, "E", c), negative)
    if upper == "F":
        whole, fraction = fixed_digits(number, 2 if precision is None else precision)
        return c.number.around(_join(whole or "0", fraction, c.decimal), negative)
    if upper in ("N", "C", "P"):
        if upper == "P":
            number = shift(number, 2)
        default = c.currency_digits if upper == "C" else 2
        whole, fraction = fixed_digits(number, default if precision is None else precision)
        body = _join(group(whole or "0", c.group_sizes, c.group), fraction, c.decimal)
        affixes = {"N": c.number, "C": c.currency, "P": c.percent_pattern}[upper]
        return affixes.around(body, negative)
    if upper == "E":
        return c.number.around(
            _scientific(number, 6 if precision is None else precision, letter, 3, c), negative
        )
    if upper == "G":
        return c.number.around(_general_of(value, number, precision, letter, c), negative)
    raise FormatError("Format specifier was invalid.")


def _join(whole: str, fraction: str, point: str) -> str:
    return f"{whole}{point}{fraction}" if fraction else whole


def _format_integer(value: int, letter: str, precision: int, c: NumberCulture) -> str:
    check_length(precision + 20)
    if letter in "Xx":
        digits = format(value & 0xFFFFFFFFFFFFFFFF if value < 0 else value, letter)
        return digits.rjust(precision, "0")
    digits = str(abs(value)).rjust(precision, "0")
    return f"{c.minus}{digits}" if value < 0 else digits


def _scientific(number: Decimal, precision: int, letter: str, width: int, c: NumberCulture) -> str:
    digits, exponent = significant(number, precision + 1)
    check_length(len(digits) + 10)
    mantissa = _join(digits[0], digits[1:], c.decimal)
    return mantissa + _exponent(exponent, "E" if letter.isupper() else "e", width, c)


def _exponent(exponent: int, e: str, width: int, c: NumberCulture) -> str:
    sign = c.minus if exponent < 0 else c.plus
    return f"{e}{sign}{str(abs(exponent)).rjust(width, '0')}"


def _general_of(
    value: Number, number: Decimal, precision: int | None, letter: str, c: NumberCulture
) -> str:
    e = "E" if letter.isupper() else "e"
    if precision:
        return _general(number.copy_abs(), precision, precision, e, c)
    if isinstance(value, float):
        return _general(Decimal(repr(abs(value))), None, 15, e, c)
    if isinstance(value, Decimal):
        return format(value.copy_abs(), "f").replace(".", c.decimal)
    return str(abs(value))


def _general(number: Decimal, count: int | None, limit: int, e: str, c: NumberCulture) -> str:
    """``G``: ``count`` significant digits (``None``: all of ``number``), trailing zeros dropped,
    scientific when the exponent is below -4 or at least ``limit``."""
    if number == 0:
        return "0"
    if count is None:
        digits = "".join(str(d) for d in number.normalize().as_tuple().digits)
        exponent = number.adjusted()
    else:
        digits, exponent = significant(number, count)
    digits = digits.rstrip("0") or "0"
    if exponent < -4 or exponent >= limit:
        return _join(digits[0], digits[1:], c.decimal) + _exponent(exponent, e, 2, c)
    if exponent < 0:
        return _join("0", "0" * (-exponent - 1) + digits, c.decimal)
    whole = digits[: exponent + 1].ljust(exponent + 1, "0")
    return _join(whole, digits[exponent + 1 :], c.decimal)
