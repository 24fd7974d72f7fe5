"""ISO 8601 durations: the designator form only, months and years in fixed days, bounded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smtp_connector.workflows.schedule import MAX_DURATION, DurationError, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT1H", timedelta(hours=1)),
        ("P1D", timedelta(days=1)),
        ("PT20S", timedelta(seconds=20)),
        ("PT5S", timedelta(seconds=5)),
        ("PT1H30M", timedelta(hours=1, minutes=30)),
        ("P1DT12H", timedelta(days=1, hours=12)),
        ("P2W", timedelta(weeks=2)),
        ("PT1.5S", timedelta(seconds=1, milliseconds=500)),
        ("PT0,25S", timedelta(milliseconds=250)),
        ("PT0S", timedelta(0)),
        ("P30D", timedelta(days=30)),
    ],
)
def test_durations_with_fixed_units_are_exact(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P1M", timedelta(days=30)),
        ("P1Y", timedelta(days=365)),
        ("P1Y2M3DT4H", timedelta(days=365 + 60 + 3, hours=4)),
        ("P1.5M", timedelta(days=45)),
    ],
)
def test_months_are_30_days_and_years_365(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "P", "PT", "P1DT", "1H", "pt1h", "PT1H ", "P1H", "PT1D", "P0001-02-03T04:05:06", "PT1.H"],
)
def test_text_that_is_not_a_designator_duration_is_refused(text: str) -> None:
    with pytest.raises(DurationError, match="is not an ISO 8601 duration such as PT30S"):
        parse_duration(text)


@pytest.mark.parametrize("value", [None, 30, 1.5, ["PT1H"]])
def test_a_duration_must_be_text(value: object) -> None:
    with pytest.raises(DurationError, match="must be text"):
        parse_duration(value)


def test_a_negative_duration_is_refused_as_such() -> None:
    with pytest.raises(DurationError, match="negative"):
        parse_duration("-PT1H")


@pytest.mark.parametrize("text", ["P36501D", "P101Y", "P1300M", "PT99999999999999999999S"])
def test_durations_past_a_century_are_refused(text: str) -> None:
    with pytest.raises(DurationError, match="too long"):
        parse_duration(text)


def test_the_longest_accepted_duration_is_the_bound() -> None:
    assert parse_duration("P36500D") == MAX_DURATION


def test_a_duration_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="P1X"):
        parse_duration("P1X")


@given(st.integers(0, 10_000), st.integers(0, 500), st.integers(0, 500), st.integers(0, 100_000))
def test_components_add_up(days: int, hours: int, minutes: int, seconds: int) -> None:
    text = f"P{days}DT{hours}H{minutes}M{seconds}S"
    assert parse_duration(text) == timedelta(
        days=days, hours=hours, minutes=minutes, seconds=seconds
    )


@given(st.text(max_size=60))
def test_any_text_gives_a_duration_or_a_duration_error(text: str) -> None:
    try:
        result = parse_duration(text)
    except DurationError:
        return
    assert timedelta(0) <= result <= MAX_DURATION
