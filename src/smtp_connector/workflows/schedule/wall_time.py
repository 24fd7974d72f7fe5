"""Wall-clock times and instants: the ``startTime`` text form, and naive-to-aware conversions."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo


def wall_to_instant(wall: datetime, zone: tzinfo) -> datetime:
    """The instant (UTC) of the naive wall-clock time ``wall`` in ``zone``."""
    return wall.replace(tzinfo=zone).astimezone(UTC)


def require_aware(value: datetime, name: str) -> datetime:
    """``value`` in UTC; raises ``ValueError`` when it is naive."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value.isoformat()}")
    return value.astimezone(UTC)


_WALL_TIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,7}))?)?"
    r"(Z|z|[+-][0-9]{2}:[0-9]{2})?"
)


def parse_wall_time(text: str) -> tuple[datetime, tzinfo | None] | None:
    """``YYYY-MM-DDThh:mm[:ss[.fffffff]]`` with an optional ``Z`` or offset, as ``(naive, zone)``.

    ``zone`` is ``None`` without a suffix; the result is ``None`` when the text is not a time.
    """
    found = _WALL_TIME.fullmatch(text.strip())
    if not found:
        return None
    year, month, day, hour, minute, second, fraction, suffix = found.groups()
    try:
        naive = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            int((fraction or "0")[:6].ljust(6, "0")),
        )
    except ValueError:
        return None
    if suffix is None:
        return naive, None
    offset = timedelta(0) if suffix in ("Z", "z") else _offset(suffix)
    if offset is None:
        return None
    return naive, UTC if not offset else timezone(offset)


def _offset(suffix: str) -> timedelta | None:
    hours, minutes = int(suffix[1:3]), int(suffix[4:6])
    if hours > 23 or minutes > 59:
        return None
    size = timedelta(hours=hours, minutes=minutes)
    return -size if suffix[0] == "-" else size
