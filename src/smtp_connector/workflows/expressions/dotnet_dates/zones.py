"""Converting a ``DotNetDateTime`` between UTC and a time zone, as .NET ``TimeZoneInfo`` does.

A wall-clock time that a zone skips (spring forward) is an error, as in .NET; one that occurs
twice (fall back) is read as standard time, as .NET ``ConvertTimeToUtc`` does.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

from smtp_connector.workflows.expressions.dotnet_dates.errors import (
    DateTimeRangeError,
    InvalidLocalTime,
)
from smtp_connector.workflows.expressions.dotnet_dates.value import (
    TICKS_PER_MICROSECOND,
    DotNetDateTime,
    Kind,
)

_INVALID = (
    "The supplied DateTime represents an invalid time.  For example, when the clock is adjusted "
    "forward, any time in the period that is skipped is invalid."
)


def _offset_ticks(offset: timedelta | None) -> int:
    if offset is None:
        return 0
    return (offset // timedelta(microseconds=1)) * TICKS_PER_MICROSECOND


def from_utc(value: DotNetDateTime, zone: ZoneInfo) -> DotNetDateTime:
    """The wall clock in ``zone`` at the UTC instant ``value`` (its kind is ignored: the host is
    UTC), as ``Unspecified``; raises ``DateTimeRangeError`` at the ends of the calendar."""
    try:
        local = value.to_datetime().replace(tzinfo=UTC).astimezone(zone)
    except (OverflowError, ValueError) as exc:
        raise DateTimeRangeError(str(exc)) from exc
    return DotNetDateTime(value.ticks + _offset_ticks(local.utcoffset()), Kind.UNSPECIFIED)


def to_utc(value: DotNetDateTime, zone: ZoneInfo) -> DotNetDateTime:
    """The UTC instant of the wall clock ``value`` read in ``zone``, as ``Utc``; raises
    ``InvalidLocalTime`` for a skipped time and ``DateTimeRangeError`` at the calendar's ends."""
    wall = value.to_datetime()
    found: list[int] = []
    for fold in (0, 1):
        try:
            offset = _offset_ticks(wall.replace(tzinfo=zone, fold=fold).utcoffset())
            candidate = DotNetDateTime(value.ticks - offset, Kind.UTC)
            back = candidate.to_datetime().replace(tzinfo=UTC).astimezone(zone)
        except (OverflowError, ValueError) as exc:
            raise DateTimeRangeError(str(exc)) from exc
        if back.replace(tzinfo=None, fold=0) == wall:
            found.append(candidate.ticks)
    if not found:
        raise InvalidLocalTime(_INVALID)
    # Twice on the clock (fall back): .NET reads it as standard time, the later instant.
    return DotNetDateTime(max(found), Kind.UTC)


def is_utc_zone(zone: ZoneInfo) -> bool:
    """Whether ``zone`` is UTC itself (a conversion to it gives a ``Utc`` value)."""
    return zone.key in {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Etc/Zulu"}


def convert(value: DotNetDateTime, source: ZoneInfo, destination: ZoneInfo) -> DotNetDateTime:
    """``TimeZoneInfo.ConvertTime(value, source, destination)``: ``Utc`` when the destination is
    UTC, else ``Unspecified``; raises like ``to_utc``."""
    instant = value.with_kind(Kind.UTC) if is_utc_zone(source) else to_utc(value, source)
    if is_utc_zone(destination):
        return instant
    return from_utc(instant, destination)
