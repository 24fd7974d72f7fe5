""".NET number parsing (``Double.TryParse``, ``Int64.TryParse``, ``Decimal.TryParse``) by styles.

``float('10,000.333')`` is 10000.333 and ``float('10.000,333', 'de-DE')`` too: the runtime parses
with .NET ``NumberStyles`` in a culture. The rules reproduced, in one linear pass (the only
regular expression matches a run of digits): white space (TAB..CR and space) at either end, a
sign in front and/or behind, digits with group separators once a digit has been seen and before
the decimal point, one decimal point, an exponent, and at least one digit. A string that is
only the culture's NaN or infinity symbol (any case, optionally signed) is NaN or infinity.

``parse`` returns a ``Parsed`` number (sign, digits, exponent), exact, so that each caller rounds
once as .NET does: a double for ``float()``, ``int()`` and ``isFloat()``, a decimal for
``decimal()``, an integer for ``isInt()``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal

from smtp_connector.workflows.expressions.number_culture import NumberCulture

_WHITE = "\t\n\v\f\r "
_DIGIT_RUN = re.compile("[0-9]+")
_EXPONENT_CAP = 100_000
"""Exponents beyond this make every double 0 or infinity; keeping them small keeps maths cheap."""


@dataclass(frozen=True)
class Styles:
    """The .NET ``NumberStyles`` flags that matter here."""

    trailing_sign: bool = False
    decimal_point: bool = True
    thousands: bool = True
    exponent: bool = True
    specials: bool = True
    """NaN and infinity symbols are accepted (doubles only)."""


FLOAT = Styles(trailing_sign=True)
"""``NumberStyles.Float | NumberStyles.Number``: ``float()`` and ``isFloat()``."""
INT_AS_DOUBLE = Styles()
"""``NumberStyles.Float | NumberStyles.AllowThousands``: ``int()`` parses a double first."""
DECIMAL = Styles(trailing_sign=True, exponent=False, specials=False)
"""``NumberStyles.Number``: ``decimal()`` (no exponent)."""
INTEGER = Styles(decimal_point=False, specials=False)
"""``NumberStyles.Integer | AllowExponent | AllowThousands``: ``isInt()``."""


@dataclass(frozen=True)
class Parsed:
    """``(-1)**negative * int(digits) * 10**exponent``, or a special value (``nan``/``inf``)."""

    negative: bool
    digits: str
    exponent: int
    special: float | None = None

    def to_float(self) -> float:
        """The nearest double (too large: infinity; too small: zero, as .NET Core does)."""
        if self.special is not None:
            return self.special
        digits = self.digits.lstrip("0") or "0"
        value = float(f"{digits}e{self.exponent}") if digits != "0" else 0.0
        return -value if self.negative else value

    def to_decimal(self) -> Decimal:
        """The exact value (``special`` values are not decimals: check first)."""
        sign = "-" if self.negative else ""
        return Decimal(f"{sign}{self.digits or '0'}E{self.exponent}")

    def is_zero(self) -> bool:
        return self.special is None and self.digits.strip("0") == ""


def parse(text: str, culture: NumberCulture, styles: Styles) -> Parsed | None:
    """The number ``text`` spells in ``culture`` under ``styles``, or ``None``."""
    body = text.strip(_WHITE)
    return _number(body, culture, styles) or _special(body, culture, styles)


def _match(text: str, at: int, symbol: str) -> int:
    """The position after ``symbol`` if ``text`` has it at ``at``, else -1."""
    if symbol and text.startswith(symbol, at):
        return at + len(symbol)
    return -1


def _sign(text: str, at: int, culture: NumberCulture) -> tuple[bool | None, int]:
    for symbol, negative in ((culture.minus, True), ("-", True), (culture.plus, False)):
        after = _match(text, at, symbol)
        if after >= 0:
            return negative, after
    return None, at


def _number(text: str, culture: NumberCulture, styles: Styles) -> Parsed | None:
    negative, pos = _sign(text, 0, culture)
    digits: list[str] = []
    point_at: int | None = None  # digits read before the decimal point, once it is seen
    seen_digit = False
    size = len(text)
    while pos < size:
        run = _DIGIT_RUN.match(text, pos)
        if run is not None:
            digits.append(run.group())
            seen_digit = True
            pos = run.end()
            continue
        after = _match(text, pos, culture.decimal) if styles.decimal_point else -1
        if after >= 0 and point_at is None:
            point_at = sum(map(len, digits))
            pos = after
            continue
        after = _match(text, pos, culture.group) if styles.thousands else -1
        if after >= 0 and seen_digit and point_at is None:
            pos = after
            continue
        break
    if not seen_digit:
        return None
    exponent = 0
    if styles.exponent and pos < size and text[pos] in "eE":
        exponent, pos = _exponent(text, pos + 1, culture, pos)
    if pos < size and styles.trailing_sign and negative is None:
        negative, pos = _sign(text, pos, culture)
    if pos != size:
        return None
    joined = "".join(digits)
    fraction = len(joined) - point_at if point_at is not None else 0
    return Parsed(bool(negative), joined, exponent - fraction)


def _exponent(text: str, pos: int, culture: NumberCulture, e_at: int) -> tuple[int, int]:
    """The exponent after ``e`` and the position after it; no digits: (0, position of ``e``)."""
    negative, after_sign = _sign(text, pos, culture)
    end = after_sign
    while end < len(text) and "0" <= text[end] <= "9":
        end += 1
    if end == after_sign:
        return 0, e_at
    run = text[after_sign:end].lstrip("0")
    value = int(run) if run and len(run) <= 7 else (_EXPONENT_CAP if run else 0)
    value = min(value, _EXPONENT_CAP)
    return (-value if negative else value), end


def _special(text: str, culture: NumberCulture, styles: Styles) -> Parsed | None:
    if not styles.specials:
        return None
    folded = text.casefold()
    for symbol, value in (
        (culture.nan, math.nan),
        (culture.minus + culture.nan, math.nan),
        (culture.plus + culture.nan, math.nan),
        (culture.infinity, math.inf),
        (culture.plus + culture.infinity, math.inf),
        (culture.negative_infinity, -math.inf),
        ("-" + culture.infinity, -math.inf),
    ):
        if folded == symbol.casefold():
            return Parsed(value < 0, "", 0, value)
    return None
