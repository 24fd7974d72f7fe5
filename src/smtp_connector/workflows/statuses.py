"""Run, action and trigger statuses, with Logic Apps' spelling (parsed in any case)."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    RUNNING = "Running"
    WAITING = "Waiting"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    SKIPPED = "Skipped"
    CANCELLED = "Cancelled"
    TIMED_OUT = "TimedOut"

    @property
    def finished(self) -> bool:
        return self not in (Status.RUNNING, Status.WAITING)

    @classmethod
    def parse(cls, text: str) -> Status | None:
        """The status spelled ``text`` in any case (``SUCCEEDED``), or ``None``."""
        return _BY_FOLDED.get(text.casefold())


_BY_FOLDED = {status.value.casefold(): status for status in Status}

RUN_AFTER_STATUSES = frozenset(
    {Status.SUCCEEDED, Status.FAILED, Status.SKIPPED, Status.TIMED_OUT, Status.CANCELLED}
)
"""What a ``runAfter`` list may name."""
