""".NET date format strings as tokens: custom specifiers, literals, and the standard formats.

A format of one character is a standard format (``d``, ``D``, ``o``, ...: any other single
character is a ``FormatException``); anything longer is custom. In a custom format the letters
``d f F g h H K m M s t y z`` repeat into one specifier (``dddd``), ``:`` and ``/`` are the
culture's separators, ``'...'`` and ``"..."`` are literals, ``\\c`` escapes one character, ``%c``
makes a lone letter a specifier, and every other character is copied.
"""

from __future__ import annotations

from dataclasses import dataclass

from smtp_connector.workflows.expressions.dotnet_dates.culture import INVARIANT, Culture
from smtp_connector.workflows.expressions.dotnet_dates.errors import DateTimeFormatError

SPECIFIERS = frozenset("dfFghHKmMstyz:/")
BAD_FORMAT = "Input string was not in a correct format."

ROUND_TRIP = "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK"
RFC_1123 = "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'"
SORTABLE = "yyyy'-'MM'-'dd'T'HH':'mm':'ss"
UNIVERSAL_SORTABLE = "yyyy'-'MM'-'dd HH':'mm':'ss'Z'"


@dataclass(frozen=True, slots=True)
class Field:
    """A specifier: ``letter`` repeated ``count`` times (``Field("M", 4)`` is ``MMMM``)."""

    letter: str
    count: int


Token = Field | str
"""A specifier, or literal text."""


@dataclass(frozen=True, slots=True)
class Pattern:
    """A format string resolved: its tokens, the culture for names, and whether the value is
    taken as UTC (``U``; ``r`` and ``u`` read their ``GMT``/``Z`` as UTC when parsing)."""

    tokens: tuple[Token, ...]
    culture: Culture
    universal: bool = False
    round_trip: bool = False


def _quoted(fmt: str, start: int) -> tuple[str, int]:
    """The literal after the quote at ``start`` and the index past its closing quote."""
    quote = fmt[start]
    text: list[str] = []
    i = start + 1
    while i < len(fmt):
        char = fmt[i]
        if char == quote:
            return "".join(text), i + 1
        if char == "\\" and i + 1 < len(fmt):
            i += 1
            char = fmt[i]
        text.append(char)
        i += 1
    raise DateTimeFormatError(
        f"Cannot find a matching quote character for the character '{quote}'."
    )


def tokenize(fmt: str) -> tuple[Token, ...]:
    """The tokens of a custom format; raises ``DateTimeFormatError`` (an unclosed quote, a
    trailing ``\\`` or ``%``, ``%%``, more than seven ``f``/``F``)."""
    tokens: list[Token] = []
    literal: list[str] = []

    def flush() -> None:
        if literal:
            tokens.append("".join(literal))
            literal.clear()

    i = 0
    while i < len(fmt):
        char = fmt[i]
        if char in SPECIFIERS:
            run = 1
            if char not in ":/":
                while i + run < len(fmt) and fmt[i + run] == char:
                    run += 1
            if char in "fF" and run > 7:
                raise DateTimeFormatError(BAD_FORMAT)
            flush()
            tokens.append(Field(char, run))
            i += run
        elif char in "'\"":
            text, i = _quoted(fmt, i)
            literal.append(text)
        elif char == "\\":
            if i + 1 >= len(fmt):
                raise DateTimeFormatError(BAD_FORMAT)
            literal.append(fmt[i + 1])
            i += 2
        elif char == "%":
            if i + 1 >= len(fmt) or fmt[i + 1] == "%":
                raise DateTimeFormatError(BAD_FORMAT)
            following = fmt[i + 1]
            if following in "'\"\\":
                raise DateTimeFormatError(BAD_FORMAT)
            if following in SPECIFIERS:
                flush()
                tokens.append(Field(following, 1))
            else:
                literal.append(following)
            i += 2
        else:
            literal.append(char)
            i += 1
    flush()
    return tuple(tokens)


def resolve(fmt: str, culture: Culture) -> Pattern:
    """The pattern that ``fmt`` stands for in ``culture``: a standard format is expanded to the
    culture's pattern (``o``, ``r``, ``s``, ``u`` use the invariant culture); raises
    ``DateTimeFormatError``."""
    fmt = fmt or "G"
    if len(fmt) != 1:
        return Pattern(tokenize(fmt), culture)
    invariant = {"o": ROUND_TRIP, "O": ROUND_TRIP, "r": RFC_1123, "R": RFC_1123}
    invariant |= {"s": SORTABLE, "u": UNIVERSAL_SORTABLE}
    if fmt in invariant:
        universal = fmt in "rRu"
        return Pattern(tokenize(invariant[fmt]), INVARIANT, universal, fmt in "oO")
    local = {
        "d": culture.short_date,
        "D": culture.long_date,
        "f": f"{culture.long_date} {culture.short_time}",
        "F": culture.full_date_time,
        "g": f"{culture.short_date} {culture.short_time}",
        "G": f"{culture.short_date} {culture.long_time}",
        "m": culture.month_day,
        "M": culture.month_day,
        "t": culture.short_time,
        "T": culture.long_time,
        "U": culture.full_date_time,
        "y": culture.year_month,
        "Y": culture.year_month,
    }
    if fmt not in local:
        raise DateTimeFormatError(BAD_FORMAT)
    return Pattern(tokenize(local[fmt]), culture, universal=fmt == "U")
