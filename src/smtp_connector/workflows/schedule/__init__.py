"""Scheduling values for the workflow engine: pure, no I/O, no clock reads.

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
from smtp_connector.workflows.schedule.retry import (
    DEFAULT_RETRY_POLICY,
    RetryPolicy,
    RetryType,
    retryable_status,
)

__all__ = [
    "DEFAULT_RETRY_POLICY",
    "MAX_DURATION",
    "DurationError",
    "InvalidScheduleObject",
    "Problem",
    "RecurrenceError",
    "RetryPolicy",
    "RetryPolicyError",
    "RetryType",
    "parse_duration",
    "retryable_status",
]
