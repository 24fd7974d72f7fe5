"""Surviving faults in background work: pauses that grow after each failure, writes retried
through database errors, and errors described in one short line for logs and health checks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError

from smtp_connector.logs import log_event

T = TypeVar("T")

FIRST_PAUSE_SECONDS = 0.5
PERSIST_PAUSE_CAP_SECONDS = 5.0


class WriteAbandoned(Exception):
    """A write that kept failing until it could no longer matter."""


def backoff(failures: int, cap: float) -> float:
    """The pause after ``failures`` failures in a row: 0.5 s, 1 s, 2 s... at most ``cap``."""
    return min(cap, FIRST_PAUSE_SECONDS * 2.0 ** min(failures - 1, 32))


def describe(exc: BaseException) -> str:
    """``Type: first line`` of an error, at most 200 characters; for a database error the
    driver's own message (never the statement or its parameters)."""
    cause: BaseException = exc.orig if isinstance(exc, DBAPIError) and exc.orig else exc
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0] if lines else ''}"[:200]


async def persist(
    write: Callable[[], Awaitable[T]],
    *,
    for_seconds: float,
    pointless: Callable[[], bool],
    **fields: Any,
) -> T:
    """Await ``write()``, again after each error (the database restarts),
    pausing longer each time, for up to ``for_seconds`` or until ``pointless()``; each failure
    is logged as ``delivery.record_failed`` with ``fields``. Raises WriteAbandoned."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + for_seconds
    failures = 0
    while True:
        try:
            return await write()
        except Exception as exc:
            failures += 1
            late = loop.time() >= give_up or pointless()
            log_event(
                "delivery.record_failed",
                logging.ERROR,
                failures=failures,
                giving_up=late,
                error=describe(exc),
                **fields,
            )
            if late:
                raise WriteAbandoned from exc
            await asyncio.sleep(backoff(failures, PERSIST_PAUSE_CAP_SECONDS))
