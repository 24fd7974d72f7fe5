"""Reading a date and time in an explicit format, as .NET ``DateTime.ParseExact`` does.

Each specifier takes exactly what it prints: ``d``/``M``/``h``/``H``/``m``/``s``/``y`` one or two
digits, their doubled forms exactly two (``yyyy`` exactly four), ``f...`` exactly as many digits
and ``F...`` at most as many, ``MMM``/``MMMM``/``ddd``/``dddd`` the culture's names (any case),
``t``/``tt`` the AM/PM designator, ``z``/``zz``/``zzz``/``K`` an offset (``K`` also ``Z``);
literals must match and the whole text must be used. A date without a year takes this year; a
text without a date takes today (``today``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from smtp_connector.workflows.expressions.dotnet_dates.culture import Culture
from smtp_connector.workflows.expressions.dotnet_dates.errors import (
    DateTimeParseError,
    DateTimeRangeError,
)
from smtp_connector.workflows.expressions.dotnet_dates.formatting import genitive_months
from smtp_connector.workflows.expressions.dotnet_dates.parsing import (
    MAX_LENGTH,
    fraction_ticks,
    full_year,
)
from smtp_connector.workflows.expressions.dotnet_dates.pattern import Field, Pattern, resolve
from smtp_connector.workflows.expressions.dotnet_dates.value import (
    HOST_OFFSET_TICKS,
    TICKS_PER_HOUR,
    TICKS_PER_MINUTE,
    DotNetDateTime,
    Kind,
)

_NOT_VALID = "String '{text}' was not recognized as a valid DateTime."


class _Mismatch(Exception):
    """The text does not fit the format (turned into ``DateTimeParseError`` at the end)."""


@dataclass
class _Fields:
    values: dict[str, int] = field(default_factory=dict)
    utc: bool = False
    offset: int | None = None

    def set(self, name: str, value: int) -> None:
        if self.values.setdefault(name, value) != value:
            raise _Mismatch


class _Matcher:
    def __init__(self, text: str, pattern: Pattern) -> None:
        self.text = text
        self.pattern = pattern
        self.culture = pattern.culture
        self.pos = 0
        self.fields = _Fields(utc=pattern.universal)
        self.genitive = genitive_months(pattern.tokens)

    def digits(self, least: int, most: int) -> tuple[int, str]:
        end = self.pos
        while end < len(self.text) and end - self.pos < most and "0" <= self.text[end] <= "9":
            end += 1
        if end - self.pos < least:
            raise _Mismatch
        found = self.text[self.pos : end]
        self.pos = end
        return (int(found) if found else 0), found

    def number(self, count: int) -> int:
        return self.digits(1, 2)[0] if count == 1 else self.digits(count, count)[0]

    def literal(self, expected: str) -> None:
        if self.text[self.pos : self.pos + len(expected)] != expected:
            raise _Mismatch
        self.pos += len(expected)

    def name(self, names: tuple[str, ...]) -> int:
        """The index of the longest name that the text continues with (any case)."""
        best, best_length = -1, 0
        for index, candidate in enumerate(names):
            end = self.pos + len(candidate)
            if (
                len(candidate) > best_length
                and self.text[self.pos : end].casefold() == candidate.casefold()
            ):
                best, best_length = index, len(candidate)
        if best < 0:
            raise _Mismatch
        self.pos += best_length
        return best

    def offset(self, count: int, allow_z: bool) -> None:
        if allow_z and self.text[self.pos : self.pos + 1] in ("Z", "z"):
            self.pos += 1
            self.fields.utc = True
            return
        sign_char = self.text[self.pos : self.pos + 1]
        if sign_char not in ("+", "-"):
            if allow_z:
                return
            raise _Mismatch
        self.pos += 1
        hours = self.number(1 if count == 1 else 2)
        minutes = 0
        if count >= 3:
            self.literal(":")
            minutes = self.number(2)
        if minutes > 59 or hours * 60 + minutes > 14 * 60:
            raise _Mismatch
        ticks = hours * TICKS_PER_HOUR + minutes * TICKS_PER_MINUTE
        self.fields.offset = -ticks if sign_char == "-" else ticks

    def field(self, token: Field, index: int) -> None:
        letter, count, culture, fields = token.letter, token.count, self.culture, self.fields
        if letter == "d" and count >= 3:
            names = culture.day_names if count >= 4 else culture.abbreviated_day_names
            fields.set("weekday", self.name(names))
        elif letter == "M" and count >= 3:
            genitive = self.genitive[index]
            if count == 3:
                both = (culture.abbreviated_month_genitive_names, culture.abbreviated_month_names)
            else:
                both = (culture.month_genitive_names, culture.month_names)
            names = both[0] + both[1] if genitive else both[1] + both[0]
            fields.set("month", self.name(names) % 12 + 1)
        elif letter == "y":
            value, found = self.digits(1, 2) if count == 1 else self.digits(count, count)
            fields.set("year", full_year(value, len(found)))
        elif letter in "dMhHms":
            name = {"d": "day", "M": "month", "h": "hour12", "H": "hour"}.get(letter, letter)
            fields.set(name, self.number(min(count, 2)))
        elif letter in "fF":
            _, found = self.digits(count if letter == "f" else 0, count)
            fields.set("fraction", fraction_ticks(found) if found else 0)
        elif letter == "t":
            designators = (culture.am_designator, culture.pm_designator)
            if count == 1:
                designators = (designators[0][:1], designators[1][:1])
            fields.set("meridiem", 12 * self.name(designators))
        elif letter in "zK":
            self.offset(count if letter == "z" else 3, allow_z=letter == "K")
        elif letter == "g":
            self.name((culture.era,))
        else:
            self.literal(culture.time_separator if letter == ":" else culture.date_separator)

    def run(self) -> _Fields:
        for index, token in enumerate(self.pattern.tokens):
            if isinstance(token, str):
                self.literal(token)
            else:
                self.field(token, index)
        if self.pos != len(self.text):
            raise _Mismatch
        return self.fields


def _build(fields: _Fields, today: date) -> DotNetDateTime:
    values = fields.values
    year, month, day = values.get("year"), values.get("month"), values.get("day")
    if year is None and month is None and day is None:
        year, month, day = today.year, today.month, today.day
    hour = values.get("hour", values.get("hour12", 0))
    if "meridiem" in values:
        if hour > 12:
            raise _Mismatch
        hour = hour % 12 + values["meridiem"]
    value = DotNetDateTime.from_parts(
        today.year if year is None else year,
        month or 1,
        day or 1,
        hour,
        values.get("m", 0),
        values.get("s", 0),
    ).add_ticks(values.get("fraction", 0))
    if "weekday" in values and values["weekday"] != value.day_of_week:
        raise _Mismatch
    if fields.offset is not None:
        return DotNetDateTime(value.ticks - fields.offset + HOST_OFFSET_TICKS, Kind.LOCAL)
    return value.with_kind(Kind.UTC if fields.utc else Kind.UNSPECIFIED)


def parse_exact(text: str, fmt: str, culture: Culture, *, today: date) -> DotNetDateTime:
    """``DateTime.ParseExact(text, fmt, culture)``; raises ``DateTimeFormatError`` for a bad
    format and ``DateTimeParseError`` when the text does not fit it."""
    pattern = resolve(fmt, culture)
    if len(text) > MAX_LENGTH:
        raise DateTimeParseError(_NOT_VALID.format(text=text[:MAX_LENGTH]))
    try:
        return _build(_Matcher(text, pattern).run(), today)
    except (_Mismatch, DateTimeRangeError) as exc:
        raise DateTimeParseError(_NOT_VALID.format(text=text)) from exc
