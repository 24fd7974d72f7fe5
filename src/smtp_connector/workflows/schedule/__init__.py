"""Scheduling values for the workflow engine: pure, no I/O, no clock reads.

- ``Recurrence``: a trigger's ``recurrence``, its ticks, and the catch-up rule (``due``).
- ``parse_duration``: ISO 8601 durations (``limit.timeout``, retry intervals).
- ``RetryPolicy``: an action's ``retryPolicy`` and the delay before each retry.
"""

from smtp_connector.workflows.schedule.durations import MAX_DURATION, parse_duration
from smtp_connector.workflows.schedule.errors import (
    DurationError,
    InvalidScheduleObject,
    Problem,
    RecurrenceError,
    RetryPolicyError,
)
from smtp_connector.workflows.schedule.recurrence import Due, Recurrence
from smtp_connector.workflows.schedule.recurrence_fields import Frequency, MonthlyOccurrence
from smtp_connector.workflows.schedule.retry import (
    DEFAULT_RETRY_POLICY,
    RetryPolicy,
    RetryType,
    retryable_status,
)
from smtp_connector.workflows.schedule.timetable import HORIZON_YEARS

__all__ = [
    "DEFAULT_RETRY_POLICY",
    "HORIZON_YEARS",
    "MAX_DURATION",
    "Due",
    "DurationError",
    "Frequency",
    "InvalidScheduleObject",
    "MonthlyOccurrence",
    "Problem",
    "Recurrence",
    "RecurrenceError",
    "RetryPolicy",
    "RetryPolicyError",
    "RetryType",
    "parse_duration",
    "retryable_status",
]
