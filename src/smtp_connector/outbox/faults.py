"""Surviving faults in background work: pauses that grow after each failure, and errors
described in one short line for logs and health checks."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

FIRST_PAUSE_SECONDS = 0.5


def backoff(failures: int, cap: float) -> float:
    """The pause after ``failures`` failures in a row: 0.5 s, 1 s, 2 s... at most ``cap``."""
    return min(cap, FIRST_PAUSE_SECONDS * 2.0 ** min(failures - 1, 32))


def describe(exc: BaseException) -> str:
    """``Type: first line`` of an error, at most 200 characters; for a database error the
    driver's own message (never the statement or its parameters)."""
    cause: BaseException = exc.orig if isinstance(exc, DBAPIError) and exc.orig else exc
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0] if lines else ''}"[:200]
