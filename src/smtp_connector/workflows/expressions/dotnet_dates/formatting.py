"""Formatting a ``DotNetDateTime`` with a .NET standard or custom format, in a culture."""

from __future__ import annotations

from smtp_connector.workflows.expressions.dotnet_dates.culture import EN_US, Culture
from smtp_connector.workflows.expressions.dotnet_dates.pattern import Field, Token, resolve
from smtp_connector.workflows.expressions.dotnet_dates.value import (
    HOST_OFFSET_TICKS,
    TICKS_PER_HOUR,
    TICKS_PER_MINUTE,
    DotNetDateTime,
    Kind,
)


def format_datetime(value: DotNetDateTime, fmt: str, culture: Culture = EN_US) -> str:
    """``value.ToString(fmt, culture)``; raises ``DateTimeFormatError`` for a bad format."""
    pattern = resolve(fmt, culture)
    return render(pattern.tokens, value, pattern.culture)


def _offset(ticks: int, count: int) -> str:
    sign = "-" if ticks < 0 else "+"
    hours, rest = divmod(abs(ticks), TICKS_PER_HOUR)
    minutes = rest // TICKS_PER_MINUTE
    if count == 1:
        return f"{sign}{hours}"
    if count == 2:
        return f"{sign}{hours:02}"
    return f"{sign}{hours:02}:{minutes:02}"


def genitive_months(tokens: tuple[Token, ...]) -> list[bool]:
    """For each token, whether a month name there takes the genitive form: .NET looks for the
    nearest day specifier before it (else after it) and wants it to be ``d`` or ``dd``."""
    nearest: list[Field | None] = [None] * len(tokens)
    seen: Field | None = None
    for index in range(len(tokens) - 1, -1, -1):
        nearest[index] = seen
        token = tokens[index]
        if isinstance(token, Field) and token.letter == "d":
            seen = token
    seen = None
    for index, token in enumerate(tokens):
        if seen is not None:
            nearest[index] = seen
        if isinstance(token, Field) and token.letter == "d":
            seen = token
    return [day is not None and day.count <= 2 for day in nearest]


def _month(value: DotNetDateTime, count: int, culture: Culture, genitive: bool) -> str:
    if count <= 2:
        return f"{value.month:0{count}}"
    if count == 3:
        names = (
            culture.abbreviated_month_genitive_names
            if genitive
            else culture.abbreviated_month_names
        )
    else:
        names = culture.month_genitive_names if genitive else culture.month_names
    return names[value.month - 1]


def _field(value: DotNetDateTime, field: Field, culture: Culture) -> str:
    letter, count = field.letter, field.count
    if letter == "d":
        if count >= 4:
            return culture.day_names[value.day_of_week]
        if count == 3:
            return culture.abbreviated_day_names[value.day_of_week]
        return f"{value.day:0{count}}"
    if letter == "f":
        return f"{value.fraction:07}"[:count]
    if letter == "g":
        return culture.era
    if letter in "hHms":
        number = {"h": value.hour % 12 or 12, "H": value.hour, "m": value.minute}.get(
            letter, value.second
        )
        return f"{number:0{min(count, 2)}}"
    if letter == "K":
        suffix = {Kind.UTC: "Z", Kind.LOCAL: _offset(HOST_OFFSET_TICKS, 3)}.get(value.kind, "")
        return suffix * count
    if letter == "t":
        designator = culture.am_designator if value.hour < 12 else culture.pm_designator
        return designator[:1] if count == 1 else designator
    if letter == "y":
        if count <= 2:
            return f"{value.year % 100:0{count}}"
        return f"{value.year:0{count}}"
    if letter == "z":
        return _offset(value.offset_ticks, min(count, 3))
    if letter == ":":
        return culture.time_separator
    return culture.date_separator


def render(tokens: tuple[Token, ...], value: DotNetDateTime, culture: Culture) -> str:
    """The text of ``value`` for already tokenized specifiers."""
    out: list[str] = []
    genitive = genitive_months(tokens)
    for index, token in enumerate(tokens):
        if isinstance(token, str):
            out.append(token)
        elif token.letter == "M":
            out.append(_month(value, token.count, culture, genitive[index]))
        elif token.letter == "F":
            digits = f"{value.fraction:07}"[: token.count].rstrip("0")
            if digits:
                out.append(digits)
            elif out and out[-1].endswith("."):
                # .NET drops the decimal point that an all-zero F fraction would follow.
                out[-1] = out[-1][:-1]
        else:
            out.append(_field(value, token, culture))
    return "".join(out)
