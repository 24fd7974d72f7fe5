"""Fault injection for background loops: a store method that fails like a database that does
not answer, until told to recover."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import OperationalError


class Outage:
    """Makes a store method raise a database error while ``down`` is set."""

    def __init__(self, call: Callable[..., Any]) -> None:
        self.call = call
        self.down = True
        self.failures = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.down:
            self.failures += 1
            raise OperationalError("injected", {}, Exception("connection refused"))
        return self.call(*args, **kwargs)
