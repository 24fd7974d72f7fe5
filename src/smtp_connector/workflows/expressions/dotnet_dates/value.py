"""A .NET ``DateTime``: 100-ns ticks since 0001-01-01 plus a kind, and .NET's calendar maths.

The runtime's date functions print what .NET prints, so the value keeps what .NET keeps: seven
fraction digits (Python's ``datetime`` has six) and the ``DateTimeKind`` that decides the suffix of
format ``o``: ``Utc`` prints ``Z``, ``Unspecified`` (a zone-less input, ``convertFromUtc`` output)
prints nothing, ``Local`` prints the host's offset.

The host is the runtime's machine, and Logic Apps machines run on UTC: ``Local`` is UTC, which is
why an input with an offset (``2018-12-15T05:00:00+13:00``) is shifted to UTC and then prints
``+00:00`` (.NET ``DateTime.Parse`` with ``RoundtripKind`` converts such an input to local time).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum

from smtp_connector.workflows.expressions.dotnet_dates.errors import DateTimeRangeError

TICKS_PER_MICROSECOND = 10
TICKS_PER_SECOND = 10_000_000
TICKS_PER_MINUTE = 60 * TICKS_PER_SECOND
TICKS_PER_HOUR = 60 * TICKS_PER_MINUTE
TICKS_PER_DAY = 24 * TICKS_PER_HOUR
MAX_TICKS = 3_155_378_975_999_999_999
"""9999-12-31T23:59:59.9999999, .NET ``DateTime.MaxValue``."""
HOST_OFFSET_TICKS = 0
"""The runtime host's UTC offset (``Local`` kind, format ``z``): its machines run on UTC."""

_RANGE = "The added or subtracted value results in an un-representable DateTime."


class Kind(Enum):
    """.NET ``DateTimeKind``."""

    UNSPECIFIED = "Unspecified"
    UTC = "Utc"
    LOCAL = "Local"


@dataclass(frozen=True, slots=True)
class DotNetDateTime:
    """A wall-clock time in ticks (0 = 0001-01-01T00:00) and its kind; raises
    ``DateTimeRangeError`` when the ticks fall outside years 1-9999."""

    ticks: int
    kind: Kind = Kind.UNSPECIFIED

    def __post_init__(self) -> None:
        if not 0 <= self.ticks <= MAX_TICKS:
            raise DateTimeRangeError(_RANGE)

    @classmethod
    def from_parts(
        cls,
        year: int,
        month: int,
        day: int,
        hour: int = 0,
        minute: int = 0,
        second: int = 0,
        fraction: int = 0,
        kind: Kind = Kind.UNSPECIFIED,
    ) -> DotNetDateTime:
        """The given calendar fields (``fraction`` in ticks, below one second); raises
        ``DateTimeRangeError`` when a field is out of its range (month 13, February 30, ...)."""
        if (
            not (0 <= hour < 24 and 0 <= minute < 60 and 0 <= second < 60)
            or not 0 <= fraction < TICKS_PER_SECOND
        ):
            raise DateTimeRangeError(
                "Hour, Minute, and Second parameters describe an un-representable DateTime."
            )
        try:
            ordinal = date(year, month, day).toordinal()
        except (ValueError, OverflowError) as exc:
            raise DateTimeRangeError(
                "Year, Month, and Day parameters describe an un-representable DateTime."
            ) from exc
        time = hour * TICKS_PER_HOUR + minute * TICKS_PER_MINUTE + second * TICKS_PER_SECOND
        return cls((ordinal - 1) * TICKS_PER_DAY + time + fraction, kind)

    @classmethod
    def from_datetime(cls, moment: datetime) -> DotNetDateTime:
        """An aware ``datetime`` as a ``Utc`` value (converted), a naive one as ``Unspecified``."""
        kind = Kind.UNSPECIFIED
        if moment.tzinfo is not None and moment.utcoffset() is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
            kind = Kind.UTC
        day = moment.date().toordinal() - 1
        time = (
            moment.hour * TICKS_PER_HOUR
            + moment.minute * TICKS_PER_MINUTE
            + moment.second * TICKS_PER_SECOND
            + moment.microsecond * TICKS_PER_MICROSECOND
        )
        return cls(day * TICKS_PER_DAY + time, kind)

    def to_datetime(self) -> datetime:
        """The naive wall-clock ``datetime`` (the sub-microsecond tick remainder is dropped)."""
        micro = (self.ticks % TICKS_PER_DAY) // TICKS_PER_MICROSECOND
        return datetime.combine(self.date, datetime.min.time()) + timedelta(microseconds=micro)

    @property
    def date(self) -> date:
        return date.fromordinal(self.ticks // TICKS_PER_DAY + 1)

    @property
    def year(self) -> int:
        return self.date.year

    @property
    def month(self) -> int:
        return self.date.month

    @property
    def day(self) -> int:
        return self.date.day

    @property
    def hour(self) -> int:
        return self.ticks % TICKS_PER_DAY // TICKS_PER_HOUR

    @property
    def minute(self) -> int:
        return self.ticks % TICKS_PER_HOUR // TICKS_PER_MINUTE

    @property
    def second(self) -> int:
        return self.ticks % TICKS_PER_MINUTE // TICKS_PER_SECOND

    @property
    def fraction(self) -> int:
        """The ticks below one second (0 to 9,999,999)."""
        return self.ticks % TICKS_PER_SECOND

    @property
    def day_of_week(self) -> int:
        """.NET ``DayOfWeek``: Sunday = 0 (0001-01-01 was a Monday)."""
        return (self.ticks // TICKS_PER_DAY + 1) % 7

    @property
    def day_of_year(self) -> int:
        return self.date.timetuple().tm_yday

    @property
    def offset_ticks(self) -> int:
        """The offset that formats ``z``/``zz``/``zzz`` print: 0 for ``Utc``, else the host's."""
        return 0 if self.kind is Kind.UTC else HOST_OFFSET_TICKS

    def with_kind(self, kind: Kind) -> DotNetDateTime:
        """.NET ``DateTime.SpecifyKind``: the same wall clock, another kind."""
        return DotNetDateTime(self.ticks, kind)

    def add_ticks(self, ticks: int) -> DotNetDateTime:
        """``AddTicks`` (and ``AddDays``/``AddHours``/...); raises ``DateTimeRangeError``."""
        return DotNetDateTime(self.ticks + ticks, self.kind)

    def add_months(self, months: int) -> DotNetDateTime:
        """``AddMonths``: the day is clamped to the target month's length (Jan 31 + 1 = Feb 28);
        raises ``DateTimeRangeError`` past year 9999 or before year 1."""
        total = self.year * 12 + self.month - 1 + months
        year, month = divmod(total, 12)
        month += 1
        if not 1 <= year <= 9999:
            raise DateTimeRangeError(_RANGE)
        day = min(self.day, calendar.monthrange(year, month)[1])
        start = DotNetDateTime.from_parts(year, month, day, kind=self.kind)
        return start.add_ticks(self.ticks % TICKS_PER_DAY)

    def add_years(self, years: int) -> DotNetDateTime:
        """``AddYears``: February 29 becomes February 28 in a common year."""
        if abs(years) > 10_000:
            raise DateTimeRangeError(_RANGE)
        return self.add_months(12 * years)

    def start_of_day(self) -> DotNetDateTime:
        return DotNetDateTime(self.ticks - self.ticks % TICKS_PER_DAY, self.kind)

    def start_of_hour(self) -> DotNetDateTime:
        return DotNetDateTime(self.ticks - self.ticks % TICKS_PER_HOUR, self.kind)

    def start_of_month(self) -> DotNetDateTime:
        return DotNetDateTime.from_parts(self.year, self.month, 1, kind=self.kind)


def timespan_text(ticks: int) -> str:
    """A .NET ``TimeSpan`` in format ``c``: ``[-][d.]hh:mm:ss[.fffffff]`` (``1268.00:00:00``)."""
    sign = "-" if ticks < 0 else ""
    days, rest = divmod(abs(ticks), TICKS_PER_DAY)
    hours, rest = divmod(rest, TICKS_PER_HOUR)
    minutes, rest = divmod(rest, TICKS_PER_MINUTE)
    seconds, fraction = divmod(rest, TICKS_PER_SECOND)
    text = f"{sign}{days}." if days else sign
    text += f"{hours:02}:{minutes:02}:{seconds:02}"
    return f"{text}.{fraction:07}" if fraction else text
