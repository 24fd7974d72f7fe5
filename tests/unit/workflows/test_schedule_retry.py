"""retryPolicy: parsing with pointers, the documented delay ranges, giving up after count."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smtp_connector.workflows.schedule import (
    DEFAULT_RETRY_POLICY,
    RetryPolicy,
    RetryPolicyError,
    RetryType,
    retryable_status,
)

S = timedelta(seconds=1)


def _problems(obj: Any) -> list[tuple[str, str]]:
    with pytest.raises(RetryPolicyError) as caught:
        RetryPolicy.parse(obj)
    return [(p.pointer, p.message) for p in caught.value.problems]


# --- parsing ------------------------------------------------------------------------------------


@pytest.mark.parametrize("obj", [None, {"type": "default"}, {"type": "Default", "count": 9}])
def test_absent_or_default_is_the_documented_default(obj: Any) -> None:
    policy = RetryPolicy.parse(obj)
    assert policy == DEFAULT_RETRY_POLICY
    assert policy.type is RetryType.EXPONENTIAL
    assert policy.count == 4
    assert policy.interval == 7.5 * S
    assert (policy.minimum_interval, policy.maximum_interval) == (5 * S, 45 * S)


@pytest.mark.parametrize("kind", ["none", "None", "NONE"])
def test_none_never_retries(kind: str) -> None:
    policy = RetryPolicy.parse({"type": kind})
    assert policy.type is RetryType.NONE
    assert policy.delay(1, random.Random(0)) is None


def test_fixed_waits_the_interval_then_gives_up_after_count() -> None:
    policy = RetryPolicy.parse({"type": "Fixed", "count": 2, "interval": "PT30S"})
    rng = random.Random(1)
    assert [policy.delay(n, rng) for n in (1, 2, 3, 4)] == [30 * S, 30 * S, None, None]


def test_exponential_defaults_its_bounds_to_five_seconds_and_a_day() -> None:
    policy = RetryPolicy.parse({"type": "exponential", "count": 3, "interval": "PT10S"})
    assert (policy.minimum_interval, policy.maximum_interval) == (5 * S, timedelta(days=1))


def test_member_names_and_numbers_as_text_are_accepted() -> None:
    policy = RetryPolicy.parse({"Type": "fixed", "COUNT": "3", "Interval": "PT1M"})
    assert (policy.count, policy.interval) == (3, timedelta(minutes=1))


@pytest.mark.parametrize("count", [1, 90])
def test_count_bounds_are_inclusive(count: int) -> None:
    assert RetryPolicy.parse({"type": "fixed", "count": count, "interval": "PT5S"}).count == count


@pytest.mark.parametrize("interval", ["PT5S", "P1D"])
def test_interval_bounds_are_inclusive(interval: str) -> None:
    RetryPolicy.parse({"type": "fixed", "count": 1, "interval": interval})


@pytest.mark.parametrize("count", [0, 91, -1, 2.5, "x", True])
def test_count_out_of_range_is_refused_at_its_pointer(count: Any) -> None:
    obj = {"type": "fixed", "count": count, "interval": "PT5S"}
    assert _problems(obj) == [("/count", "count must be a whole number from 1 to 90")]


@pytest.mark.parametrize("interval", ["PT4S", "P1DT1S", "P2D"])
def test_interval_out_of_range_is_refused_at_its_pointer(interval: str) -> None:
    obj = {"type": "fixed", "count": 1, "interval": interval}
    message = "interval must be between 5 seconds (PT5S) and 1 day (P1D)"
    assert _problems(obj) == [("/interval", message)]


def test_an_interval_that_is_not_a_duration_says_so() -> None:
    [(where, message)] = _problems({"type": "fixed", "count": 1, "interval": "20 seconds"})
    assert where == "/interval"
    assert "is not an ISO 8601 duration" in message


def test_every_fault_is_reported_at_once() -> None:
    obj = {
        "type": "exponential",
        "count": 0,
        "interval": "PT1S",
        "minimumInterval": "P2D",
        "maximumInterval": "nope",
    }
    assert [where for where, _ in _problems(obj)] == [
        "/count",
        "/interval",
        "/minimumInterval",
        "/maximumInterval",
    ]


def test_required_members_are_named() -> None:
    assert _problems({"type": "fixed"}) == [
        ("/count", "count is required: the number of retries, 1 to 90"),
        ("/interval", "interval is required, such as PT20S"),
    ]


def test_minimum_longer_than_maximum_is_refused() -> None:
    obj = {
        "type": "exponential",
        "count": 2,
        "interval": "PT10S",
        "minimumInterval": "PT1M",
        "maximumInterval": "PT30S",
    }
    assert _problems(obj) == [
        ("/minimumInterval", "minimumInterval must not be longer than maximumInterval")
    ]


@pytest.mark.parametrize(
    ("obj", "where"),
    [
        ({}, "/type"),
        ({"type": "sometimes"}, "/type"),
        ({"TYPE": 3}, "/TYPE"),
        ("fixed", ""),
        ([{"type": "none"}], ""),
    ],
)
def test_a_missing_or_unknown_type_is_refused(obj: Any, where: str) -> None:
    [(pointer, message)] = _problems(obj)
    assert pointer == where
    assert "none, fixed, exponential or default" in message or "JSON object" in message


# --- delays ------------------------------------------------------------------------------------


def _ranges(policy: RetryPolicy, attempts: int, samples: int = 400) -> list[tuple[float, float]]:
    rng = random.Random(7)
    seen = []
    for attempt in range(1, attempts + 1):
        values = []
        for _ in range(samples):
            delay = policy.delay(attempt, rng)
            assert delay is not None
            values.append(delay.total_seconds())
        seen.append((min(values), max(values)))
    return seen


def test_the_default_policy_scales_by_7_5_seconds_within_5_and_45() -> None:
    expected = [(5, 7.5), (7.5, 15), (15, 30), (30, 45)]
    for (low, high), (want_low, want_high) in zip(
        _ranges(DEFAULT_RETRY_POLICY, 4), expected, strict=True
    ):
        assert want_low <= low < want_low + 1
        assert want_high - 1 < high <= want_high
    assert DEFAULT_RETRY_POLICY.delay(5, random.Random(0)) is None


def test_the_documented_exponential_example_follows_its_table() -> None:
    policy = RetryPolicy.parse(
        {
            "type": "exponential",
            "interval": "PT7S",
            "count": 4,
            "minimumInterval": "PT5S",
            "maximumInterval": "PT1H",
        }
    )
    # retry n waits between max(min, 2^(n-2)·interval) and min(max, 2^(n-1)·interval)
    expected = [(5, 7), (7, 14), (14, 28), (28, 56)]
    for (low, high), (want_low, want_high) in zip(_ranges(policy, 4), expected, strict=True):
        assert want_low <= low < want_low + 1
        assert want_high - 1 < high <= want_high
    assert policy.delay(5, random.Random(0)) is None


def test_late_retries_stay_at_the_maximum_interval() -> None:
    policy = RetryPolicy.parse(
        {"type": "exponential", "count": 90, "interval": "P1D", "maximumInterval": "P1D"}
    )
    assert policy.delay(90, random.Random(3)) == timedelta(days=1)


def test_attempts_count_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        DEFAULT_RETRY_POLICY.delay(0, random.Random(0))


seconds = st.integers(5, 86_400).map(lambda s: f"PT{s}S")


@st.composite
def exponential_policies(draw: st.DrawFn) -> RetryPolicy:
    low, high = sorted([draw(st.integers(5, 86_400)), draw(st.integers(5, 86_400))])
    return RetryPolicy.parse(
        {
            "type": "exponential",
            "count": draw(st.integers(1, 90)),
            "interval": draw(seconds),
            "minimumInterval": f"PT{low}S",
            "maximumInterval": f"PT{high}S",
        }
    )


@given(exponential_policies(), st.integers(1, 90), st.integers(0, 2**32))
def test_every_exponential_delay_is_within_its_bounds(
    policy: RetryPolicy, attempt: int, seed: int
) -> None:
    delay = policy.delay(attempt, random.Random(seed))
    if attempt > policy.count:
        assert delay is None
        return
    assert delay is not None
    assert policy.minimum_interval <= delay <= policy.maximum_interval
    step = policy.interval.total_seconds()
    low, high = policy.minimum_interval.total_seconds(), policy.maximum_interval.total_seconds()
    floor = 0.0 if attempt == 1 else step * 2.0 ** (attempt - 2)
    ceiling = step * 2.0 ** (attempt - 1)
    # The documented range, held within [minimumInterval, maximumInterval].
    assert min(max(floor, low), high) - 1e-6 <= delay.total_seconds()
    assert delay.total_seconds() <= min(max(ceiling, low), high) + 1e-6


@given(st.integers(1, 90), seconds, st.integers(1, 200), st.integers(0, 2**32))
def test_fixed_delays_are_the_interval_until_count(
    count: int, interval: str, attempt: int, seed: int
) -> None:
    policy = RetryPolicy.parse({"type": "fixed", "count": count, "interval": interval})
    delay = policy.delay(attempt, random.Random(seed))
    assert delay == (policy.interval if attempt <= count else None)


# --- which failures are retried -------------------------------------------------------------


@pytest.mark.parametrize("code", [408, 429, 500, 502, 503, 504, 599])
def test_timeouts_throttling_and_server_errors_are_retried(code: int) -> None:
    assert retryable_status(code)


@pytest.mark.parametrize("code", [200, 202, 302, 400, 401, 403, 404, 409, 422, 600])
def test_other_statuses_are_not_retried(code: int) -> None:
    assert not retryable_status(code)
