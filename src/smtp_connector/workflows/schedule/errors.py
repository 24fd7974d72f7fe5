"""Errors of the scheduling value objects; all of them are ``ValueError``.

    ValueError
    ├── DurationError              text is not an ISO 8601 duration we accept
    └── InvalidScheduleObject      a JSON object failed validation; ``problems`` lists each fault
        ├── RecurrenceError        a trigger's ``recurrence``
        └── RetryPolicyError       an action's ``retryPolicy``

Each problem is ``(pointer, message)``: a JSON pointer relative to the object that was parsed
(``/interval``, ``/schedule/hours/2``; ``""`` is the object itself) and a sentence a user can act
on. None of these is a ``ConnectorError``: the definition layer prefixes each pointer with the
trigger's or action's own location and raises its own error (a 400 at save time).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple


class Problem(NamedTuple):
    pointer: str
    message: str


class DurationError(ValueError):
    """The text is not an ISO 8601 duration (``PT30S``, ``PT1H``, ``P1D``), or is out of range."""


class InvalidScheduleObject(ValueError):
    """A JSON object failed validation; ``problems`` has one entry per fault, in input order."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{p.pointer or '/'}: {p.message}" for p in self.problems))


class RecurrenceError(InvalidScheduleObject):
    """A ``recurrence`` object is not valid."""


class RetryPolicyError(InvalidScheduleObject):
    """A ``retryPolicy`` object is not valid."""
