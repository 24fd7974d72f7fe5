"""An action's ``retryPolicy`` (WORKFLOWS.md §2.5) and the delay before each retry.

    {"type": "none"}
    {"type": "fixed", "count": 4, "interval": "PT20S"}
    {"type": "exponential", "count": 4, "interval": "PT7S",
     "minimumInterval": "PT5S", "maximumInterval": "PT1H"}
    absent, or {"type": "default"}: exponential, 4 retries, 7.5 s scaling, within 5 to 45 s

``count`` is 1 to 90; every interval is PT5S to P1D (the limits of Consumption and Standard
stateful workflows). The type is matched in any case. Members that do not apply to the type
(``count`` on ``none``, ``minimumInterval`` on ``fixed``) are ignored.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from smtp_connector.workflows.schedule.durations import parse_duration
from smtp_connector.workflows.schedule.errors import DurationError, Problem, RetryPolicyError
from smtp_connector.workflows.schedule.fields import member, pointer, whole_number

MIN_COUNT, MAX_COUNT = 1, 90
MIN_INTERVAL, MAX_INTERVAL = timedelta(seconds=5), timedelta(days=1)


class RetryType(StrEnum):
    NONE = "none"
    FIXED = "fixed"
    EXPONENTIAL = "exponential"


def retryable_status(code: int) -> bool:
    """Whether an HTTP status is worth retrying: 408, 429 and every 5xx."""
    return code in (408, 429) or 500 <= code <= 599


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait before resending a failed request."""

    type: RetryType
    count: int = 0
    """Retries after the first attempt (0 for ``none``)."""
    interval: timedelta = timedelta(0)
    minimum_interval: timedelta = MIN_INTERVAL
    """Exponential only: the shortest wait."""
    maximum_interval: timedelta = MAX_INTERVAL
    """Exponential only: the longest wait."""

    @classmethod
    def parse(cls, obj: Any) -> RetryPolicy:
        """The policy ``obj`` describes (``None``: the default); raises ``RetryPolicyError``."""
        if obj is None:
            return DEFAULT_RETRY_POLICY
        if not isinstance(obj, Mapping):
            raise RetryPolicyError([Problem("", "retryPolicy must be a JSON object")])
        problems: list[Problem] = []
        found = member(obj, "type")
        kinds = "none, fixed, exponential or default"
        if found is None:
            raise RetryPolicyError([Problem("/type", f"type is required: {kinds}")])
        key, value = found
        kind = value.strip().casefold() if isinstance(value, str) else None
        if kind == "default":
            return DEFAULT_RETRY_POLICY
        if kind == RetryType.NONE:
            return cls(RetryType.NONE)
        if kind not in (RetryType.FIXED, RetryType.EXPONENTIAL):
            raise RetryPolicyError([Problem(pointer(key), f"type must be {kinds}, not {value!r}")])
        count = _count(obj, problems)
        interval = _interval(obj, "interval", None, problems)
        if kind == RetryType.FIXED:
            if problems or count is None or interval is None:
                raise RetryPolicyError(problems)
            return cls(RetryType.FIXED, count, interval)
        low = _interval(obj, "minimumInterval", MIN_INTERVAL, problems)
        high = _interval(obj, "maximumInterval", MAX_INTERVAL, problems)
        if low is not None and high is not None and low > high:
            where = member(obj, "minimumInterval")
            problems.append(
                Problem(
                    pointer(where[0] if where else "minimumInterval"),
                    "minimumInterval must not be longer than maximumInterval",
                )
            )
        if problems or count is None or interval is None or low is None or high is None:
            raise RetryPolicyError(problems)
        return cls(RetryType.EXPONENTIAL, count, interval, low, high)

    def delay(self, attempt: int, rng: random.Random) -> timedelta | None:
        """How long to wait before retry number ``attempt`` (1 = the first retry).

        ``None`` means give up: the policy is ``none`` or ``attempt`` is past ``count``.
        Exponential: a uniform random wait between ``2^(n-2)·interval`` (0 for the first retry)
        and ``2^(n-1)·interval``, both ends held within ``[minimumInterval, maximumInterval]``.
        Raises ``ValueError`` for an attempt below 1.
        """
        if attempt < 1:
            raise ValueError(f"retry attempts count from 1, got {attempt}")
        if self.type is RetryType.NONE or attempt > self.count:
            return None
        if self.type is RetryType.FIXED:
            return self.interval
        step = self.interval.total_seconds()
        # Clamping both ends keeps low <= high even when the table's range falls outside the
        # bounds (an interval below minimumInterval, or late retries past maximumInterval).
        low = self._clamp(0.0 if attempt == 1 else step * 2.0 ** (attempt - 2))
        high = self._clamp(step * 2.0 ** (attempt - 1))
        return timedelta(seconds=low + (high - low) * rng.random())

    def _clamp(self, seconds: float) -> float:
        low = self.minimum_interval.total_seconds()
        high = self.maximum_interval.total_seconds()
        return min(max(seconds, low), high)


DEFAULT_RETRY_POLICY = RetryPolicy(
    RetryType.EXPONENTIAL,
    count=4,
    interval=timedelta(seconds=7.5),
    minimum_interval=timedelta(seconds=5),
    maximum_interval=timedelta(seconds=45),
)
"""What an action without ``retryPolicy`` (or with type ``default``) does."""


def _count(obj: Mapping[str, Any], problems: list[Problem]) -> int | None:
    found = member(obj, "count")
    if found is None:
        problems.append(Problem("/count", "count is required: the number of retries, 1 to 90"))
        return None
    count = whole_number(found[1])
    if count is None or not MIN_COUNT <= count <= MAX_COUNT:
        problems.append(Problem(pointer(found[0]), "count must be a whole number from 1 to 90"))
        return None
    return count


def _interval(
    obj: Mapping[str, Any], name: str, default: timedelta | None, problems: list[Problem]
) -> timedelta | None:
    found = member(obj, name)
    if found is None:
        if default is None:
            problems.append(Problem(pointer(name), f"{name} is required, such as PT20S"))
        return default
    try:
        value = parse_duration(found[1])
    except DurationError as exc:
        problems.append(Problem(pointer(found[0]), f"{name}: {exc}"))
        return None
    if not MIN_INTERVAL <= value <= MAX_INTERVAL:
        problems.append(
            Problem(pointer(found[0]), f"{name} must be between 5 seconds (PT5S) and 1 day (P1D)")
        )
        return None
    return value
