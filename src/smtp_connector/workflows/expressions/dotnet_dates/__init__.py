"""A .NET ``DateTime`` for the expression language: the value, its formats, parsing and zones.

    DotNetDateTime, Kind       value       ticks + kind, .NET calendar maths
    timespan_text              value       a ``TimeSpan`` in format ``c``
    format_datetime            formatting  ``ToString(format, culture)``
    parse_datetime             parsing     ``DateTime.Parse(text, culture, RoundtripKind)``
    parse_exact                exact       ``DateTime.ParseExact(text, format, culture)``
    culture, INVARIANT, EN_US  culture     names and patterns (babel for other locales)
    from_utc, to_utc, convert  zones       ``TimeZoneInfo`` conversions

Every error is a ``DateTimeError`` (``errors.py``).
"""

from __future__ import annotations

from smtp_connector.workflows.expressions.dotnet_dates.culture import (
    EN_US,
    INVARIANT,
    Culture,
    culture,
)
from smtp_connector.workflows.expressions.dotnet_dates.errors import (
    DateTimeError,
    DateTimeFormatError,
    DateTimeParseError,
    DateTimeRangeError,
    InvalidLocalTime,
    UnknownCulture,
)
from smtp_connector.workflows.expressions.dotnet_dates.exact import parse_exact
from smtp_connector.workflows.expressions.dotnet_dates.formatting import format_datetime
from smtp_connector.workflows.expressions.dotnet_dates.parsing import parse_datetime
from smtp_connector.workflows.expressions.dotnet_dates.value import (
    TICKS_PER_DAY,
    TICKS_PER_HOUR,
    TICKS_PER_MINUTE,
    TICKS_PER_SECOND,
    DotNetDateTime,
    Kind,
    timespan_text,
)
from smtp_connector.workflows.expressions.dotnet_dates.zones import convert, from_utc, to_utc

__all__ = [
    "EN_US",
    "INVARIANT",
    "TICKS_PER_DAY",
    "TICKS_PER_HOUR",
    "TICKS_PER_MINUTE",
    "TICKS_PER_SECOND",
    "Culture",
    "DateTimeError",
    "DateTimeFormatError",
    "DateTimeParseError",
    "DateTimeRangeError",
    "DotNetDateTime",
    "InvalidLocalTime",
    "Kind",
    "UnknownCulture",
    "convert",
    "culture",
    "format_datetime",
    "from_utc",
    "parse_datetime",
    "parse_exact",
    "timespan_text",
    "to_utc",
]
