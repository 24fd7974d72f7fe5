"""Digits of exact decimal values, rounded as .NET rounds them (half away from zero).

Shared by the standard (``number_format``) and custom (``number_custom``) .NET number formats.
"""

from __future__ import annotations

import math
from decimal import MAX_EMAX, MIN_EMIN, ROUND_HALF_UP, Context, Decimal, localcontext

from smtp_connector.workflows.expressions.errors import ExpressionLimitExceeded
from smtp_connector.workflows.expressions.values import STRING_LIMIT

Number = int | float | Decimal

_EXACT_DIGITS = 5_000
"""Digits computed exactly; past this many, every double, decimal or JSON integer (4,300 digits
at most) has only zeros left, which are appended without arithmetic."""


class FormatError(ValueError):
    """The format string is not valid for this kind of number (.NET ``FormatException``)."""


def exact(value: Number) -> Decimal:
    """The exact decimal value of ``value``."""
    return value if isinstance(value, Decimal) else Decimal(value)


def shift(value: Decimal, places: int) -> Decimal:
    """``value * 10**places``, exactly (Decimal arithmetic would round to 28 digits)."""
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    return Decimal((sign, digits, exponent + places))


def is_negative(value: Number) -> bool:
    """Whether ``value`` is below zero or a negative zero."""
    if isinstance(value, float):
        return math.copysign(1.0, value) < 0
    return value < 0


def round_places(value: Decimal, places: int) -> Decimal:
    """``value`` rounded half away from zero to ``places`` decimals (may be negative)."""
    digits = max(value.adjusted(), 0) + max(places, 0) + 10
    context = Context(prec=digits, rounding=ROUND_HALF_UP, Emax=MAX_EMAX, Emin=MIN_EMIN)
    with localcontext(context) as ctx:
        return value.quantize(Decimal(1).scaleb(-places, ctx), context=ctx)


def fixed_digits(value: Decimal, places: int) -> tuple[str, str]:
    """Integer digits (``''`` for zero) and exactly ``places`` fraction digits of ``|value|``."""
    kept = min(places, _EXACT_DIGITS)
    text = format(round_places(value.copy_abs(), kept), "f")
    whole, _, fraction = text.partition(".")
    check_length(len(whole) + places)
    return whole.lstrip("0"), fraction.ljust(places, "0")


def significant(value: Decimal, count: int) -> tuple[str, int]:
    """``count`` significant digits of ``|value|`` (rounded) and the decimal exponent of the
    first: ``12345, 3`` -> ``("123", 4)``. Zero is ``("000...", 0)``."""
    if value == 0:
        return "0" * count, 0
    kept = min(count, _EXACT_DIGITS)
    exponent = value.copy_abs().adjusted()
    rounded = round_places(value.copy_abs(), kept - 1 - exponent)
    if rounded.adjusted() > exponent:
        exponent += 1
        rounded = round_places(value.copy_abs(), kept - 1 - exponent)
    digits = "".join(str(d) for d in rounded.as_tuple().digits)
    return digits[:kept].ljust(count, "0"), exponent


def group(digits: str, sizes: tuple[int, ...], separator: str) -> str:
    """``digits`` with ``separator`` between groups, sizes counted from the right."""
    if not sizes or not separator:
        return digits
    parts: list[str] = []
    end = len(digits)
    index = 0
    while end > 0:
        size = sizes[min(index, len(sizes) - 1)]
        if size <= 0:
            parts.append(digits[:end])
            break
        parts.append(digits[max(end - size, 0) : end])
        end -= size
        index += 1
    return separator.join(reversed(parts))


def check_length(length: int) -> None:
    """Raise ``ExpressionLimitExceeded`` before building a longer string than ``STRING_LIMIT``."""
    if length > STRING_LIMIT:
        raise ExpressionLimitExceeded(
            f"The formatted number would be {length} characters long; the limit is {STRING_LIMIT}."
        )
