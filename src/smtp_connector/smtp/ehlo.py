"""What goes into EHLO and what comes out of it, apart from the exchange itself.

:func:`default_client_hostname` is the name sent with EHLO (or HELO) when ``client_hostname`` is
not set; :func:`size_limit` reads the SIZE extension's parameter from the answer. Both serve
:class:`~smtp_connector.smtp.session.Session`.
"""

from __future__ import annotations

import asyncio
import socket

__all__ = ["default_client_hostname", "size_limit"]

_hostname_cache: dict[str, str] = {}


async def default_client_hostname(timeout: float) -> str:
    """This machine's FQDN for EHLO (looked up once, bounded by ``timeout``)."""
    cached = _hostname_cache.get("fqdn")
    if cached is not None:
        return cached
    try:
        name = await asyncio.wait_for(asyncio.to_thread(socket.getfqdn), timeout)
    except (TimeoutError, OSError):
        return "localhost"
    name = name.strip()
    if not name or not name.isascii() or any(c.isspace() or ord(c) < 33 for c in name):
        name = "localhost"
    _hostname_cache["fqdn"] = name
    return name


def size_limit(value: str | None) -> int | None:
    """The SIZE extension's parameter: a positive limit in bytes, or no limit (absent/0)."""
    if value is None:
        return None
    words = value.split()
    if not words or not words[0].isdigit():
        return None
    limit = int(words[0])
    return limit or None
