"""RetryPolicy: exponential backoff with jitter, bounded by attempts and by age (pure)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from smtp_connector.outbox.types import RetryPolicy

QUEUED_AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

policies = st.builds(
    RetryPolicy,
    max_attempts=st.integers(1, 50),
    initial_delay_seconds=st.floats(0, 3600),
    multiplier=st.floats(1, 10),
    max_delay_seconds=st.floats(0, 7 * 86400),
    max_age_seconds=st.floats(0, 30 * 86400),
    jitter=st.floats(0, 0.99),
)
attempts = st.integers(1, 300)
seeds = st.integers(0, 2**32 - 1)
ages = st.floats(0, 40 * 86400)


@given(policies, attempts)
def test_delays_without_jitter_never_decrease(policy: RetryPolicy, attempt: int) -> None:
    exact = replace(policy, jitter=0)
    assert exact.delay_for(attempt) <= exact.delay_for(attempt + 1)


@given(policies, attempts, seeds)
def test_a_delay_stays_within_the_jitter_of_its_capped_base(
    policy: RetryPolicy, attempt: int, seed: int
) -> None:
    base = replace(policy, jitter=0).delay_for(attempt)
    delay = policy.delay_for(attempt, random.Random(seed))
    assert base <= policy.max_delay_seconds
    assert base * (1 - policy.jitter) - 1e-9 <= delay <= base * (1 + policy.jitter) + 1e-9
    assert 0 <= delay <= policy.max_delay_seconds * (1 + policy.jitter) + 1e-9


@given(policies, attempts, seeds)
def test_the_same_seed_gives_the_same_delay(policy: RetryPolicy, attempt: int, seed: int) -> None:
    assert policy.delay_for(attempt, random.Random(seed)) == policy.delay_for(
        attempt, random.Random(seed)
    )


@given(policies, attempts, ages, seeds)
def test_a_non_retryable_failure_is_never_retried(
    policy: RetryPolicy, attempt: int, age: float, seed: int
) -> None:
    decision = policy.decide(
        attempt=attempt,
        retryable=False,
        queued_at=QUEUED_AT,
        now=QUEUED_AT + timedelta(seconds=age),
        rng=random.Random(seed),
    )
    assert not decision.retry
    assert decision.reason == "permanent failure"


@given(policies, attempts, ages, seeds)
def test_a_retry_never_goes_past_max_attempts_or_max_age(
    policy: RetryPolicy, attempt: int, age: float, seed: int
) -> None:
    now = QUEUED_AT + timedelta(seconds=age)
    decision = policy.decide(
        attempt=attempt, retryable=True, queued_at=QUEUED_AT, now=now, rng=random.Random(seed)
    )
    if attempt >= policy.max_attempts:
        assert not decision.retry
    if decision.retry:
        assert attempt < policy.max_attempts
        retry_at = now + timedelta(seconds=decision.delay_seconds)
        assert retry_at - QUEUED_AT <= timedelta(seconds=policy.max_age_seconds)
        assert decision.delay_seconds == policy.delay_for(attempt, random.Random(seed))
    else:
        assert decision.delay_seconds == 0


def test_a_young_transient_failure_is_retried_with_the_default_schedule() -> None:
    policy = RetryPolicy(jitter=0)
    delays = [
        policy.decide(attempt=n, retryable=True, queued_at=QUEUED_AT, now=QUEUED_AT).delay_seconds
        for n in range(1, 10)
    ]
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    last = policy.decide(attempt=10, retryable=True, queued_at=QUEUED_AT, now=QUEUED_AT)
    assert (last.retry, last.reason) == (False, "gave up after 10 attempts")
    old = policy.decide(
        attempt=1, retryable=True, queued_at=QUEUED_AT, now=QUEUED_AT + timedelta(days=1)
    )
    assert (old.retry, old.reason) == (False, "older than 86400 s")
