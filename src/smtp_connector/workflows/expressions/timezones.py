"""Time zones by Windows name (``'Pacific Standard Time'``) or IANA name, as ``ZoneInfo``.

Logic Apps takes Windows zone ids; the mapping is the CLDR table that ``tzlocal`` ships
(``tzlocal.windows_tz.win_tz``). IANA names are accepted as well.
"""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tzlocal.windows_tz import win_tz

_WINDOWS = {name.casefold(): iana for name, iana in win_tz.items()}


class UnknownTimeZone(ValueError):
    """The name is neither a Windows zone id nor an IANA zone."""


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The zone called ``name`` (Windows id, any case, or IANA); raises ``UnknownTimeZone``."""
    key = name.strip()
    iana = _WINDOWS.get(key.casefold(), key)
    if not iana or iana.startswith(("/", ".")) or ".." in iana:
        raise UnknownTimeZone(name)
    try:
        return ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownTimeZone(name) from exc


def is_known(name: str) -> bool:
    """Whether ``zone(name)`` would succeed."""
    try:
        zone(name)
    except UnknownTimeZone:
        return False
    return True
