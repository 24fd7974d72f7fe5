""".NET ``System.Decimal`` rules for ``decimal()`` values: range, scale and conversions.

A .NET decimal is a 96-bit integer divided by 10**scale, scale 0..28: at most about 29
significant digits, magnitude below 79,228,162,514,264,337,593,543,950,336. Python's ``Decimal``
holds more; ``fit`` rounds (half to even, as .NET does) or refuses what .NET could not hold.
"""

from __future__ import annotations

import math
from decimal import (
    MAX_EMAX,
    MIN_EMIN,
    ROUND_HALF_EVEN,
    Context,
    Decimal,
)

_MANTISSA_LIMIT = 2**96
_MAX_SCALE = 28
MAX = Decimal(_MANTISSA_LIMIT - 1)

ARITHMETIC = Context(prec=60, rounding=ROUND_HALF_EVEN, Emax=MAX_EMAX, Emin=MIN_EMIN)
"""Exact for sums and products of two decimals; ``fit`` rounds afterwards."""
DIVISION = Context(prec=29, rounding=ROUND_HALF_EVEN, Emax=MAX_EMAX, Emin=MIN_EMIN)


class DecimalOverflow(ArithmeticError):
    """The value is outside the range of a .NET decimal (or is NaN or infinite)."""


def fit(value: Decimal) -> Decimal:
    """``value`` as a .NET decimal would hold it; raises ``DecimalOverflow``."""
    if not value.is_finite() or value.copy_abs() > MAX:
        raise DecimalOverflow(str(value))
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    if exponent >= 0 or (-exponent <= _MAX_SCALE and _mantissa_fits(digits)):
        return value
    scale = min(-exponent, _MAX_SCALE)
    while True:
        candidate = value.quantize(Decimal(1).scaleb(-scale), context=ARITHMETIC)
        if _mantissa_fits(candidate.as_tuple().digits):
            return candidate
        scale -= 1


def _mantissa_fits(digits: tuple[int, ...]) -> bool:
    return len(digits) <= 29 and int("".join(map(str, digits)) or "0") < _MANTISSA_LIMIT


def from_double(value: float) -> Decimal:
    """.NET ``(decimal)double``: the double rounded to 15 significant digits."""
    if not math.isfinite(value):
        raise DecimalOverflow(repr(value))
    return fit(Decimal(format(value, ".15g")))


def from_number(value: int | float | Decimal) -> Decimal:
    """An integer, double or decimal as a .NET decimal; raises ``DecimalOverflow``."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return from_double(value)
    return fit(Decimal(value))
