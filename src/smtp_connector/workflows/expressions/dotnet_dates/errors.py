"""Errors of the .NET date layer; the date functions translate them into the runtime's wording.

DateTimeError              the root (a ``ValueError``); ``str()`` is .NET's own message
├── DateTimeRangeError     a result outside 0001-01-01 .. 9999-12-31, or a field out of range
├── DateTimeParseError     the text is not a date and time (in that culture, or that format)
├── DateTimeFormatError    the format string is not valid (.NET ``FormatException``)
├── InvalidLocalTime       a wall-clock time that a time zone skips (spring forward)
└── UnknownCulture         the locale name is not a known culture
"""

from __future__ import annotations


class DateTimeError(ValueError):
    """Root of the .NET date layer's errors."""


class DateTimeRangeError(DateTimeError):
    """A date outside .NET's range (years 1-9999), or a month 13, a February 30, ..."""


class DateTimeParseError(DateTimeError):
    """The text could not be read as a date and time."""


class DateTimeFormatError(DateTimeError):
    """The format string is not valid."""


class InvalidLocalTime(DateTimeError):
    """The wall-clock time does not exist in the zone (the clock skips it)."""


class UnknownCulture(DateTimeError):
    """The locale name is not a culture that we have data for."""
