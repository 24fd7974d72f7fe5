"""Culture data for .NET date formats: month and day names, AM/PM, separators and patterns.

The invariant culture and ``en-US`` (the runtime's default) are spelled out as .NET has them;
every other culture comes from CLDR through ``babel``, with its patterns translated to .NET
custom formats (years widened to ``yyyy`` in the short date, as Windows does). Dates are always
Gregorian and digits always ASCII.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from babel import Locale, UnknownLocaleError

from smtp_connector.workflows.expressions.dotnet_dates.errors import UnknownCulture

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


@dataclass(frozen=True)
class Culture:
    """What .NET's ``DateTimeFormatInfo`` holds for one culture (names Sunday-first)."""

    name: str
    month_names: tuple[str, ...]
    month_genitive_names: tuple[str, ...]
    abbreviated_month_names: tuple[str, ...]
    abbreviated_month_genitive_names: tuple[str, ...]
    day_names: tuple[str, ...]
    abbreviated_day_names: tuple[str, ...]
    am_designator: str
    pm_designator: str
    era: str
    date_separator: str
    time_separator: str
    short_date: str
    long_date: str
    short_time: str
    long_time: str
    month_day: str
    year_month: str
    filler_words: frozenset[str] = field(default_factory=frozenset)
    """Words of the long patterns' quoted literals (``de`` in Spanish): parsing skips them."""

    @property
    def full_date_time(self) -> str:
        return f"{self.long_date} {self.long_time}"

    @property
    def date_order(self) -> str:
        """``MDY``, ``DMY`` or ``YMD``: the order of the short date's fields."""
        firsts = {letter: self.short_date.find(letter) for letter in "MdY"}
        firsts["Y"] = self.short_date.find("y")
        order = sorted((pos if pos >= 0 else 99, letter) for letter, pos in firsts.items())
        return "".join(letter for _, letter in order).upper()


def _english(
    name: str, dates: tuple[str, str, str, str], month_day: str, year_month: str
) -> Culture:
    """An English culture; ``dates`` = short date, long date, short time, long time."""
    months = _MONTHS
    short_months = tuple(month[:3] for month in _MONTHS)
    return Culture(
        name=name,
        month_names=months,
        month_genitive_names=months,
        abbreviated_month_names=short_months,
        abbreviated_month_genitive_names=short_months,
        day_names=_DAYS,
        abbreviated_day_names=tuple(day[:3] for day in _DAYS),
        am_designator="AM",
        pm_designator="PM",
        era="A.D.",
        date_separator="/",
        time_separator=":",
        short_date=dates[0],
        long_date=dates[1],
        short_time=dates[2],
        long_time=dates[3],
        month_day=month_day,
        year_month=year_month,
    )


INVARIANT = _english(
    "", ("MM/dd/yyyy", "dddd, dd MMMM yyyy", "HH:mm", "HH:mm:ss"), "MMMM dd", "yyyy MMMM"
)
EN_US = _english(
    "en-US", ("M/d/yyyy", "dddd, MMMM d, yyyy", "h:mm tt", "h:mm:ss tt"), "MMMM d", "MMMM yyyy"
)

# CLDR pattern letter -> .NET custom specifier letter (counts are kept, except as noted below).
_LETTERS = {"M": "M", "L": "M", "d": "d", "h": "h", "H": "H", "K": "h", "k": "H", "m": "m"}
_LETTERS |= {"s": "s", "S": "f", "G": "g"}


def _dotnet_pattern(cldr: str, wide_year: bool = False) -> str:
    """A CLDR date pattern as a .NET custom format (zones and unknown letters dropped)."""
    out: list[str] = []
    i = 0
    while i < len(cldr):
        char = cldr[i]
        if char == "'":
            end = cldr.find("'", i + 1)
            end = len(cldr) if end < 0 else end
            literal = cldr[i + 1 : end]
            out.append("\\'" if end == i + 1 else f"'{literal}'")
            i = end + 1
            continue
        run = 1
        while i + run < len(cldr) and cldr[i + run] == char:
            run += 1
        i += run
        if not (char.isascii() and char.isalpha()):
            out.append("".join("\\" + c if c in '%\\"' else c for c in char * run))
        elif char in "yYu":
            out.append("yy" if run == 2 and not wide_year else "yyyy")
        elif char in "Eec":
            out.append("dddd" if run == 4 else "ddd")
        elif char in "abB":
            out.append("tt")
        elif char in _LETTERS:
            letter = _LETTERS[char]
            out.append(letter * (min(run, 4) if letter in "Mf" else min(run, 2)))
    return "".join(out).strip()


def _separator(pattern: str, fields: str) -> str:
    """The first literal character after the first field run (``/`` in ``dd/MM/yyyy``)."""
    i = 0
    while i < len(pattern) and pattern[i] not in fields:
        i += 1
    while i < len(pattern) and pattern[i] in fields:
        i += 1
    return pattern[i] if i < len(pattern) and not pattern[i].isalpha() else "/"


def _fillers(*patterns: str) -> frozenset[str]:
    words: set[str] = set()
    for pattern in patterns:
        parts = pattern.split("'")
        for literal in parts[1::2]:
            words.update(word.casefold().strip(".") for word in literal.split())
    return frozenset(word for word in words if word)


def _from_cldr(tag: str, locale: Locale) -> Culture:
    def names(kind: str, context: str, width: str, count: int, start: int) -> tuple[str, ...]:
        table = getattr(locale, kind)[context][width]
        return tuple(
            str(table[(start + n) % count if kind == "days" else n + 1]) for n in range(count)
        )

    def days(width: str) -> tuple[str, ...]:
        return names("days", "format", width, 7, 6)  # babel counts Monday = 0

    periods = locale.day_periods["format"]["abbreviated"]
    short_date = _dotnet_pattern(locale.date_formats["short"].pattern, wide_year=True)
    long_date = _dotnet_pattern(locale.date_formats["full"].pattern)
    long_time = _dotnet_pattern(locale.time_formats["medium"].pattern)
    month_day = _dotnet_pattern(locale.datetime_skeletons["MMMMd"].pattern)
    year_month = _dotnet_pattern(locale.datetime_skeletons["yMMMM"].pattern)
    return Culture(
        name=tag,
        month_names=names("months", "stand-alone", "wide", 12, 0),
        month_genitive_names=names("months", "format", "wide", 12, 0),
        abbreviated_month_names=names("months", "stand-alone", "abbreviated", 12, 0),
        abbreviated_month_genitive_names=names("months", "format", "abbreviated", 12, 0),
        day_names=days("wide"),
        abbreviated_day_names=days("abbreviated"),
        am_designator=str(periods.get("am", "AM")),
        pm_designator=str(periods.get("pm", "PM")),
        era=str(locale.eras["abbreviated"][1]),
        date_separator=_separator(short_date, "dMy"),
        time_separator=_separator(long_time, "Hhms"),
        short_date=short_date,
        long_date=long_date,
        short_time=_dotnet_pattern(locale.time_formats["short"].pattern),
        long_time=long_time,
        month_day=month_day,
        year_month=year_month,
        filler_words=_fillers(long_date, month_day, year_month),
    )


@lru_cache(maxsize=64)
def culture(name: str) -> Culture:
    """The culture called ``name`` (``fr-FR``, ``fr-fr``, ``fr_FR``, ``fr``; ``""`` is the
    invariant culture); raises ``UnknownCulture``."""
    tag = name.strip().replace("_", "-")
    if not tag:
        return INVARIANT
    try:
        locale = Locale.parse(tag, sep="-")
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise UnknownCulture(
            f"Culture is not supported. '{name}' is an invalid culture identifier."
        ) from exc
    if locale.language == "en" and locale.territory in (None, "US") and not locale.script:
        return EN_US
    return _from_cldr(tag, locale)
