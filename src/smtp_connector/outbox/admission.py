"""Admission of send calls: the per-connection call limit (Azure's: 100 calls per 60 s)."""

from __future__ import annotations

import threading
import time
from collections import deque

from smtp_connector.connections import Connection
from smtp_connector.errors import RateLimited


class CallLimiter:
    """A sliding window per connection, per process; a refused call is not counted."""

    def __init__(self) -> None:
        self._calls: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, connection: Connection, now: float | None = None) -> None:
        """Count one call, or raise RateLimited with the seconds until the next is allowed."""
        limit = connection.call_limit
        if limit is None:
            return
        now = time.monotonic() if now is None else now
        with self._lock:
            window = self._calls.setdefault(connection.name, deque())
            while window and window[0] <= now - limit.per_seconds:
                window.popleft()
            if len(window) >= limit.count:
                retry_after = window[0] + limit.per_seconds - now
                raise RateLimited(
                    f"The connection {connection.name!r} takes at most {limit.count} calls per "
                    f"{limit.per_seconds:g} s.",
                    retry_after,
                )
            window.append(now)
