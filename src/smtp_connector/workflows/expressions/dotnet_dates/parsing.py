"""Reading a date and time as .NET ``DateTime.Parse(text, culture, RoundtripKind)`` does.

The text is scanned once into numbers, words and separators (no regular expressions, so no
backtracking), then read: ``h:m[:s[.fffffff]]`` with an optional AM/PM is the time, month and day
names come from the culture, ``Z``/``GMT``/``UTC`` mean UTC and ``+hh:mm``/``-hhmm`` after the
time an offset; the remaining numbers are the date, in the culture's order unless the first has
three or more digits (``2018-03-15``). Forms read: ISO 8601 with or without fraction and zone,
``03/15/2018 12:00:00`` (invariant: month first), ``20/10/2014`` in ``fr-FR``, RFC 1123,
``20 octobre 2010``, ``martes 20 octubre 2020``. A missing year is this year, a missing date is
today. Kinds: ``Z`` gives ``Utc``, an offset gives ``Local`` (shifted to the UTC host), no zone
gives ``Unspecified``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from smtp_connector.workflows.expressions.dotnet_dates.culture import INVARIANT, Culture
from smtp_connector.workflows.expressions.dotnet_dates.errors import (
    DateTimeParseError,
    DateTimeRangeError,
)
from smtp_connector.workflows.expressions.dotnet_dates.value import (
    HOST_OFFSET_TICKS,
    TICKS_PER_HOUR,
    TICKS_PER_MINUTE,
    DotNetDateTime,
    Kind,
)

MAX_LENGTH = 256
_NOT_VALID = "String '{text}' was not recognized as a valid DateTime."
_MAX_OFFSET = 14 * TICKS_PER_HOUR


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    """``num``, ``word`` or ``sep``."""
    text: str


def _scan(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        j = i + 1
        if "0" <= char <= "9":
            while j < len(text) and "0" <= text[j] <= "9":
                j += 1
            tokens.append(_Token("num", text[i:j]))
        elif char.isalpha():
            while j < len(text) and text[j].isalpha():
                j += 1
            tokens.append(_Token("word", text[i:j].casefold()))
        elif not char.isspace():
            tokens.append(_Token("sep", char))
        i = j
    return tokens


def _key(name: str) -> str:
    return name.casefold().strip(".")


@lru_cache(maxsize=64)
def _words(culture: Culture) -> dict[str, tuple[str, int]]:
    """Word -> (``month``/``day``/``meridiem``/``utc``/``skip``, value) for ``culture``."""
    table: dict[str, tuple[str, int]] = {"t": ("skip", 0)}
    table |= {word: ("skip", 0) for word in culture.filler_words}
    table |= {word: ("utc", 0) for word in ("z", "gmt", "utc")}
    for names in (culture.abbreviated_day_names, culture.day_names):
        table |= {_key(name): ("day", n) for n, name in enumerate(names)}
    # Months last: where an abbreviation is both a day and a month (Spanish "mar"), a month wins.
    for names in (
        culture.abbreviated_month_names,
        culture.abbreviated_month_genitive_names,
        culture.month_names,
        culture.month_genitive_names,
    ):
        table |= {_key(name): ("month", n + 1) for n, name in enumerate(names)}
    table[_key(culture.am_designator) or "am"] = ("meridiem", 0)
    table[_key(culture.pm_designator) or "pm"] = ("meridiem", 12)
    return table


def fraction_ticks(digits: str) -> int:
    """Fraction digits as ticks, rounded half to even past seven digits (may be 10,000,000)."""
    if len(digits) <= 7:
        return int(digits.ljust(7, "0"))
    scale = int("1" + "0" * (len(digits) - 7))
    whole, rest = divmod(int(digits), scale)
    if 2 * rest > scale or (2 * rest == scale and whole % 2):
        whole += 1
    return whole


def full_year(value: int, digits: int) -> int:
    """A two-digit year in .NET's window (``TwoDigitYearMax`` 2049): 49 -> 2049, 50 -> 1950."""
    if digits > 2:
        return value
    return value + 2000 if value <= 49 else value + 1900


@dataclass
class _Parts:
    numbers: list[tuple[int, int]] = field(default_factory=list)
    """(value, digit count) of the date's numbers."""
    month: int | None = None
    weekday: int | None = None
    time: tuple[int, int, int, int] | None = None
    meridiem: int | None = None
    utc: bool = False
    offset: int | None = None
    numbers_after_time: int = 0


class _Reader:
    def __init__(self, text: str, culture: Culture) -> None:
        self.tokens = _scan(text)
        self.words = _words(culture)
        self.parts = _Parts()
        self.i = 0

    def peek(self, ahead: int, kind: str, text: str | None = None) -> bool:
        index = self.i + ahead
        if index >= len(self.tokens):
            return False
        token = self.tokens[index]
        return token.kind == kind and (text is None or token.text == text)

    def read(self) -> _Parts:
        while self.i < len(self.tokens):
            token = self.tokens[self.i]
            if token.kind == "num":
                self.number(token.text)
            elif token.kind == "word":
                self.word(token.text)
            else:
                self.separator(token.text)
        return self.parts

    def number(self, text: str) -> None:
        parts = self.parts
        if self.peek(1, "sep", ":") and self.peek(2, "num"):
            self.clock(text)
            return
        entry = self.words.get(self.tokens[self.i + 1].text) if self.peek(1, "word") else None
        if entry is not None and entry[0] == "meridiem" and parts.time is None and len(text) <= 2:
            parts.time = (int(text), 0, 0, 0)
            self.i += 1
            return
        if len(parts.numbers) == 3 or len(text) > 9:
            raise ValueError
        parts.numbers.append((int(text), len(text)))
        parts.numbers_after_time += parts.time is not None
        self.i += 1

    def clock(self, hour: str) -> None:
        if self.parts.time is not None:
            raise ValueError
        fields = [hour, self.tokens[self.i + 2].text]
        self.i += 3
        fraction = 0
        if self.peek(0, "sep", ":") and self.peek(1, "num"):
            fields.append(self.tokens[self.i + 1].text)
            self.i += 2
            if self.peek(0, "sep", ".") and self.peek(1, "num"):
                fraction = fraction_ticks(self.tokens[self.i + 1].text[:40])
                self.i += 2
        if any(len(f) > 2 for f in fields):
            raise ValueError
        second = int(fields[2]) if len(fields) == 3 else 0
        self.parts.time = (int(fields[0]), int(fields[1]), second, fraction)

    def word(self, text: str) -> None:
        kind, value = self.words.get(text, ("", 0))
        parts = self.parts
        if kind == "month" and parts.month is None:
            parts.month = value
        elif kind == "day" and parts.weekday is None:
            parts.weekday = value
        elif kind == "meridiem" and parts.meridiem is None and parts.time is not None:
            parts.meridiem = value
        elif kind == "utc" and not parts.utc and parts.offset is None:
            parts.utc = True
        elif kind != "skip":
            raise ValueError
        self.i += 1

    def separator(self, char: str) -> None:
        parts = self.parts
        zone_sign = char == "+" or (
            char == "-" and parts.time is not None and not parts.numbers_after_time
        )
        if zone_sign and self.peek(1, "num") and parts.offset is None and not parts.utc:
            self.i += 1
            self.zone(-1 if char == "-" else 1)
        elif char in "/-.,":
            self.i += 1
        else:
            raise ValueError

    def zone(self, sign: int) -> None:
        digits = self.tokens[self.i].text
        self.i += 1
        if len(digits) == 4:
            hours, minutes = int(digits[:2]), int(digits[2:])
        elif len(digits) <= 2:
            hours, minutes = int(digits), 0
            if self.peek(0, "sep", ":") and self.peek(1, "num"):
                minute_text = self.tokens[self.i + 1].text
                if len(minute_text) != 2:
                    raise ValueError
                minutes = int(minute_text)
                self.i += 2
        else:
            raise ValueError
        offset = hours * TICKS_PER_HOUR + minutes * TICKS_PER_MINUTE
        if minutes > 59 or offset > _MAX_OFFSET:
            raise ValueError
        self.parts.offset = sign * offset


def _date(parts: _Parts, culture: Culture, today: date) -> tuple[int, int, int]:
    numbers = parts.numbers
    wide = [digits >= 3 for _, digits in numbers]
    if parts.month is not None:
        if len(numbers) == 1:
            value, digits = numbers[0]
            return (value, parts.month, 1) if digits >= 3 else (today.year, parts.month, value)
        if len(numbers) == 2:
            (first, first_digits), (second, second_digits) = numbers
            if first_digits >= 3:
                return first, parts.month, second
            return full_year(second, second_digits), parts.month, first
        raise ValueError
    if len(numbers) == 3:
        order = "YMD" if wide[0] else culture.date_order
        found = {letter: numbers[n] for n, letter in enumerate(order)}
        year, year_digits = found["Y"]
        return full_year(year, year_digits), found["M"][0], found["D"][0]
    if len(numbers) == 2:
        (first, _), (second, _) = numbers
        if wide[0]:
            return first, second, 1
        if wide[1]:
            return second, first, 1
        if culture.date_order == "DMY":
            return today.year, second, first
        return today.year, first, second
    if not numbers and parts.time is not None:
        return today.year, today.month, today.day
    raise ValueError


def _build(parts: _Parts, culture: Culture, today: date) -> DotNetDateTime:
    year, month, day = _date(parts, culture, today)
    hour, minute, second, fraction = parts.time or (0, 0, 0, 0)
    if parts.meridiem is not None:
        if hour > 12:
            raise ValueError
        hour = hour % 12 + parts.meridiem
    kind = Kind.UTC if parts.utc else Kind.UNSPECIFIED
    value = DotNetDateTime.from_parts(year, month, day, hour, minute, second).add_ticks(fraction)
    if parts.weekday is not None and parts.weekday != value.day_of_week:
        raise ValueError
    if parts.offset is not None:
        return DotNetDateTime(value.ticks - parts.offset + HOST_OFFSET_TICKS, Kind.LOCAL)
    return value.with_kind(kind)


def parse_datetime(text: str, culture: Culture = INVARIANT, *, today: date) -> DotNetDateTime:
    """``DateTime.Parse(text, culture, RoundtripKind)``; ``today`` fills a missing date or year.
    Raises ``DateTimeParseError``."""
    if len(text) > MAX_LENGTH or not text.strip():
        raise DateTimeParseError(_NOT_VALID.format(text=text[:MAX_LENGTH]))
    try:
        return _build(_Reader(text, culture).read(), culture, today)
    except (ValueError, DateTimeRangeError) as exc:
        raise DateTimeParseError(_NOT_VALID.format(text=text)) from exc
