"""The date and time functions: ``utcNow``, ``addDays``, ..., ``formatDateTime``, ``parseDateTime``.

Timestamps are read like .NET ``DateTime.Parse`` with the invariant culture (``03/15/2018`` is
March 15) and results are .NET format ``o`` unless a format is given: a UTC input keeps its
``Z``, a zone-less one and ``convertFromUtc``'s result get no suffix. Names and patterns of
formats like ``D`` are ``en-US``'s unless ``formatDateTime``/``parseDateTime`` get a locale. The
current time comes from ``ctx.now()``. Every failure is an ``ExpressionEvaluationError``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from smtp_connector.workflows.expressions.context import EvaluationContext
from smtp_connector.workflows.expressions.dotnet_dates import (
    TICKS_PER_DAY,
    TICKS_PER_HOUR,
    TICKS_PER_MINUTE,
    TICKS_PER_SECOND,
    DateTimeFormatError,
    DateTimeParseError,
    DotNetDateTime,
    Kind,
    convert,
    format_datetime,
    from_utc,
    parse_datetime,
    parse_exact,
    timespan_text,
    to_utc,
)
from smtp_connector.workflows.expressions.functions import date_arguments as arg
from smtp_connector.workflows.expressions.functions.registry import function

UNITS = {
    "second": TICKS_PER_SECOND,
    "minute": TICKS_PER_MINUTE,
    "hour": TICKS_PER_HOUR,
    "day": TICKS_PER_DAY,
    "week": 7 * TICKS_PER_DAY,
    "month": 0,
    "year": 0,
}
"""Time units (any case) and their length in ticks; months and years follow the calendar."""


def _shift(name: str, value: DotNetDateTime, interval: int, unit: str) -> DotNetDateTime:
    with arg.calendar_errors(name):
        if unit == "month":
            return value.add_months(interval)
        if unit == "year":
            return value.add_years(interval)
        return value.add_ticks(interval * UNITS[unit])


def _unit(name: str, args: Sequence[Any], index: int) -> str:
    unit = arg.text(name, args, index)
    if unit.casefold() not in UNITS:
        raise arg.failure(
            name,
            f"expects {arg.parameter(index)} to be a time unit: "
            "'Second', 'Minute', 'Hour', 'Day', 'Week', 'Month' or 'Year'. "
            f"The provided value '{unit}' is not valid.",
        )
    return unit.casefold()


def _now(ctx: EvaluationContext) -> DotNetDateTime:
    return DotNetDateTime.from_datetime(ctx.now()).with_kind(Kind.UTC)


@function("utcNow", 0, 1)
def utc_now(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    """``utcNow(format?)``: the current UTC time."""
    return arg.output("utcNow", args, 0, _now(ctx))


def _add(name: str, ticks: int) -> None:
    def add(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
        value = arg.timestamp(ctx, name, args, 0)
        with arg.calendar_errors(name):
            shifted = value.add_ticks(arg.integer(name, args, 1) * ticks)
        return arg.output(name, args, 2, shifted)

    add.__doc__ = f"``{name}(timestamp, count, format?)``."
    function(name, 2, 3)(add)


_add("addSeconds", TICKS_PER_SECOND)
_add("addMinutes", TICKS_PER_MINUTE)
_add("addHours", TICKS_PER_HOUR)
_add("addDays", TICKS_PER_DAY)


@function("addToTime", 3, 4)
def add_to_time(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    """``addToTime(timestamp, interval, timeUnit, format?)``."""
    value = arg.timestamp(ctx, "addToTime", args, 0)
    interval = arg.integer("addToTime", args, 1)
    shifted = _shift("addToTime", value, interval, _unit("addToTime", args, 2))
    return arg.output("addToTime", args, 3, shifted)


@function("subtractFromTime", 3, 4)
def subtract_from_time(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    """``subtractFromTime(timestamp, interval, timeUnit, format?)``."""
    name = "subtractFromTime"
    value = arg.timestamp(ctx, name, args, 0)
    interval = arg.integer(name, args, 1)
    shifted = _shift(name, value, -interval, _unit(name, args, 2))
    return arg.output(name, args, 3, shifted)


@function("getFutureTime", 2, 3)
def get_future_time(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    """``getFutureTime(interval, timeUnit, format?)``: now plus the interval."""
    interval = arg.integer("getFutureTime", args, 0)
    unit = _unit("getFutureTime", args, 1)
    return arg.output("getFutureTime", args, 2, _shift("getFutureTime", _now(ctx), interval, unit))


@function("getPastTime", 2, 3)
def get_past_time(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    """``getPastTime(interval, timeUnit, format?)``: now minus the interval."""
    interval = arg.integer("getPastTime", args, 0)
    unit = _unit("getPastTime", args, 1)
    return arg.output("getPastTime", args, 2, _shift("getPastTime", _now(ctx), -interval, unit))


@function("convertFromUtc", 2, 3)
def convert_from_utc(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    """``convertFromUtc(timestamp, destinationTimeZone, format?)``: no offset suffix."""
    value = arg.timestamp(ctx, "convertFromUtc", args, 0)
    destination = arg.time_zone("convertFromUtc", args, 1)
    with arg.calendar_errors("convertFromUtc"):
        local = from_utc(value, destination)
    return arg.output("convertFromUtc", args, 2, local)


@function("convertToUtc", 2, 3)
def convert_to_utc(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    """``convertToUtc(timestamp, sourceTimeZone, format?)``: the timestamp's wall clock is read
    in the source zone whatever its own suffix [inferred]; a skipped local time is an error."""
    value = arg.timestamp(ctx, "convertToUtc", args, 0)
    source = arg.time_zone("convertToUtc", args, 1)
    with arg.calendar_errors("convertToUtc"):
        instant = to_utc(value, source)
    return arg.output("convertToUtc", args, 2, instant)


@function("convertTimeZone", 3, 4)
def convert_time_zone(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    """``convertTimeZone(timestamp, sourceTimeZone, destinationTimeZone, format?)``: ``Z`` only
    when the destination is UTC."""
    value = arg.timestamp(ctx, "convertTimeZone", args, 0)
    source = arg.time_zone("convertTimeZone", args, 1)
    destination = arg.time_zone("convertTimeZone", args, 2)
    with arg.calendar_errors("convertTimeZone"):
        result = convert(value, source, destination)
    return arg.output("convertTimeZone", args, 3, result)


@function("dayOfMonth", 1)
def day_of_month(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    """``dayOfMonth(timestamp)``: 1-31."""
    return arg.timestamp(ctx, "dayOfMonth", args, None).day


@function("dayOfWeek", 1)
def day_of_week(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    """``dayOfWeek(timestamp)``: Sunday = 0."""
    return arg.timestamp(ctx, "dayOfWeek", args, None).day_of_week


@function("dayOfYear", 1)
def day_of_year(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    """``dayOfYear(timestamp)``: 1-366."""
    return arg.timestamp(ctx, "dayOfYear", args, None).day_of_year


@function("ticks", 1)
def ticks(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    """``ticks(timestamp)``: 100-ns intervals since 0001-01-01T00:00."""
    return arg.timestamp(ctx, "ticks", args, None).ticks


@function("dateDifference", 2)
def date_difference(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    """``dateDifference(startTimestamp, endTimestamp)``: a TimeSpan, ``[-][d.]hh:mm:ss[.f]``."""
    start = arg.timestamp(ctx, "dateDifference", args, 0)
    end = arg.timestamp(ctx, "dateDifference", args, 1)
    return timespan_text(end.ticks - start.ticks)


def _start_of(name: str, cut: Callable[[DotNetDateTime], DotNetDateTime]) -> None:
    def start_of(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
        return arg.output(name, args, 1, cut(arg.timestamp(ctx, name, args, 0)))

    start_of.__doc__ = f"``{name}(timestamp, format?)``: same kind as the timestamp."
    function(name, 1, 2)(start_of)


_start_of("startOfDay", DotNetDateTime.start_of_day)
_start_of("startOfHour", DotNetDateTime.start_of_hour)
_start_of("startOfMonth", DotNetDateTime.start_of_month)


@function("formatDateTime", 1, 3)
def format_date_time(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    """``formatDateTime(timestamp, format?, locale?)``: month and day names in the locale."""
    value = arg.timestamp(ctx, "formatDateTime", args, 0)
    where = arg.locale("formatDateTime", args, 2)
    return arg.output("formatDateTime", args, 1, value, where)


@function("parseDateTime", 1, 3)
def parse_date_time(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    """``parseDateTime(dateString, locale?, format?)``: the text read in the locale (and the
    format, when given), as format ``o``."""
    text = arg.text("parseDateTime", args, 0)
    where = arg.locale("parseDateTime", args, 1)
    fmt = arg.text("parseDateTime", args, 2) if len(args) > 2 else ""
    try:
        if fmt:
            value = parse_exact(text, fmt, where, today=arg.today(ctx))
        else:
            value = parse_datetime(text, where, today=arg.today(ctx))
    except DateTimeFormatError:
        raise arg.bad_format("parseDateTime", 2, fmt) from None
    except DateTimeParseError:
        shape = f"the format '{fmt}'" if fmt else f"a date and time in the locale '{where.name}'"
        raise arg.failure(
            "parseDateTime",
            f"could not parse the value '{text}': it must be {shape}.",
        ) from None
    return format_datetime(value, "o")
