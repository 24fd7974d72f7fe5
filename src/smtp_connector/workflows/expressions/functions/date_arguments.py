"""Reading the date functions' arguments, with the runtime's sentences for the wrong ones.

Every check raises ``ExpressionEvaluationError``; ``index`` is the argument's 0-based position
(``None``: the function takes a single parameter). Sentences follow the runtime's shape::

    The template language function 'addDays' expects its second parameter to be an integer.
    The provided value is of type 'String'. Please see https://aka.ms/logicexpressions#adddays
    for usage details.

An unreadable timestamp gets the runtime's own sentence ("In function 'addDays', the value
provided for date time string '' was not valid. The datetime string must match ISO 8601
format."), which has no link.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from smtp_connector.workflows.expressions.context import EvaluationContext
from smtp_connector.workflows.expressions.dotnet_dates import (
    EN_US,
    INVARIANT,
    Culture,
    DateTimeFormatError,
    DateTimeParseError,
    DateTimeRangeError,
    DotNetDateTime,
    InvalidLocalTime,
    UnknownCulture,
    culture,
    format_datetime,
    parse_datetime,
)
from smtp_connector.workflows.expressions.errors import ExpressionEvaluationError
from smtp_connector.workflows.expressions.timezones import UnknownTimeZone, zone
from smtp_connector.workflows.expressions.values import type_name

_ORDINALS = ("first", "second", "third", "fourth")


def failure(name: str, text: str) -> ExpressionEvaluationError:
    """``The template language function '<name>' <text> Please see ... for usage details.``"""
    return ExpressionEvaluationError(
        f"The template language function '{name}' {text} "
        f"Please see https://aka.ms/logicexpressions#{name.lower()} for usage details."
    )


def parameter(index: int | None) -> str:
    """``its second parameter`` (``its parameter`` for ``None``)."""
    return "its parameter" if index is None else f"its {_ORDINALS[index]} parameter"


def text(name: str, args: Sequence[Any], index: int | None) -> str:
    """The argument, which must be a string."""
    value = args[index or 0]
    if not isinstance(value, str):
        raise failure(
            name,
            f"expects {parameter(index)} to be of type string. "
            f"The provided value is of type '{type_name(value)}'.",
        )
    return value


def integer(name: str, args: Sequence[Any], index: int) -> int:
    """The argument, which must be an integer (not a boolean, not a float)."""
    value = args[index]
    if isinstance(value, bool) or not isinstance(value, int):
        raise failure(
            name,
            f"expects {parameter(index)} to be an integer. "
            f"The provided value is of type '{type_name(value)}'.",
        )
    return value


def today(ctx: EvaluationContext) -> date:
    """The UTC date now: it fills a date or a year that a timestamp leaves out."""
    return DotNetDateTime.from_datetime(ctx.now()).date


def timestamp(
    ctx: EvaluationContext, name: str, args: Sequence[Any], index: int | None
) -> DotNetDateTime:
    """The argument read as .NET ``DateTime.Parse`` with the invariant culture."""
    value = text(name, args, index)
    try:
        return parse_datetime(value, INVARIANT, today=today(ctx))
    except DateTimeParseError:
        raise ExpressionEvaluationError(
            f"In function '{name}', the value provided for date time string '{value}' was not "
            "valid. The datetime string must match ISO 8601 format."
        ) from None


def time_zone(name: str, args: Sequence[Any], index: int) -> ZoneInfo:
    """The argument as a time zone (a Windows id such as ``Pacific Standard Time``, or IANA)."""
    value = text(name, args, index)
    try:
        return zone(value)
    except UnknownTimeZone:
        raise failure(
            name,
            f"expects {parameter(index)} to be a time zone name. "
            f"The provided value '{value}' is not a valid time zone.",
        ) from None


def locale(name: str, args: Sequence[Any], index: int) -> Culture:
    """The optional locale argument (default ``en-US``) as a culture."""
    if len(args) <= index:
        return EN_US
    value = text(name, args, index)
    try:
        return culture(value)
    except UnknownCulture:
        raise failure(
            name,
            f"expects {parameter(index)} to be a locale name such as 'en-us'. "
            f"The provided value '{value}' is not a supported culture.",
        ) from None


def bad_format(name: str, index: int, fmt: str) -> ExpressionEvaluationError:
    """The error for a format string that .NET would refuse."""
    return failure(
        name,
        f"expects {parameter(index)} to be a valid date and time format string. "
        f"The provided value '{fmt}' is not valid.",
    )


def output(
    name: str, args: Sequence[Any], index: int, value: DotNetDateTime, where: Culture = EN_US
) -> str:
    """``value`` in the optional format argument at ``index`` (default ``o``)."""
    fmt = text(name, args, index) if len(args) > index else "o"
    try:
        return format_datetime(value, fmt, where)
    except DateTimeFormatError:
        raise bad_format(name, index, fmt) from None


@contextmanager
def calendar_errors(name: str) -> Iterator[None]:
    """Turns a result outside years 1-9999 or a skipped local time into the function's error."""
    try:
        yield
    except DateTimeRangeError as exc:
        raise failure(name, f"could not compute the resulting time: {exc}") from None
    except InvalidLocalTime as exc:
        raise failure(name, f"could not convert the time: {exc}") from None
