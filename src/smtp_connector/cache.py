"""A small read cache for the stores: bounded, thread-safe, entries expire after a set time.

Other processes write to the same database without telling this one, so every entry lives at
most ``seconds``, counted from before the read that produced it: a value changed elsewhere is
seen at most ``seconds`` after the change was committed. Writes through this process's stores
call ``invalidate``, which also refuses values read before it (a :class:`Ticket` taken before
the read carries the generation the value belongs to), so the next read sees the change.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

DEFAULT_MAX_ENTRIES = 1024


@dataclass(frozen=True)
class Ticket:
    """Taken before a read: when it began, and the generation of the cache at that time."""

    started: float
    generation: int


class ReadCache(Generic[K, V]):
    """Up to ``max_entries`` values, least recently used dropped first; ``seconds`` 0 keeps none.

    Every method does constant work under one lock, so a hit is cheap enough for the event loop.
    """

    def __init__(
        self,
        seconds: float,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if seconds < 0 or max_entries < 1:
            raise ValueError("seconds must be >= 0 and max_entries >= 1")
        self.seconds = seconds
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._generation = 0
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.seconds > 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | None:
        """The value stored for ``key`` if it has not expired, else None."""
        if not self.enabled:
            return None
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, value = entry
            if now >= expires:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def ticket(self) -> Ticket:
        """Take this before reading the value to ``put``."""
        with self._lock:
            return Ticket(self._clock(), self._generation)

    def put(self, key: K, value: V, ticket: Ticket) -> None:
        """Keep ``value`` until ``ticket.started + seconds``, unless ``invalidate`` ran since
        the ticket was taken (the value may predate that write)."""
        if not self.enabled:
            return
        with self._lock:
            if ticket.generation != self._generation:
                return
            self._entries[key] = (ticket.started + self.seconds, value)
            self._entries.move_to_end(key)
            if len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def invalidate(self, key: K | None = None) -> None:
        """Forget ``key`` (every key when None) and refuse values read before this call."""
        with self._lock:
            self._generation += 1
            if key is None:
                self._entries.clear()
            else:
                self._entries.pop(key, None)
