"""The .NET DateTime value: ticks, calendar fields, AddMonths clamping, TimeSpan text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smtp_connector.workflows.expressions.dotnet_dates import (
    TICKS_PER_DAY,
    DateTimeRangeError,
    DotNetDateTime,
    Kind,
    timespan_text,
)
from smtp_connector.workflows.expressions.dotnet_dates.value import MAX_TICKS


def test_ticks_count_100_ns_from_year_one() -> None:
    assert DotNetDateTime.from_parts(1, 1, 1).ticks == 0
    # The Unix epoch in .NET ticks, as DateTime.UnixEpoch.Ticks.
    assert DotNetDateTime.from_parts(1970, 1, 1).ticks == 621_355_968_000_000_000
    assert DotNetDateTime.from_parts(9999, 12, 31, 23, 59, 59, 9_999_999).ticks == MAX_TICKS


def test_seven_fraction_digits_are_kept() -> None:
    value = DotNetDateTime.from_parts(2018, 3, 15, 13, 27, 36, 1_234_567)
    assert value.fraction == 1_234_567
    assert value.add_ticks(1).fraction == 1_234_568
    assert value.to_datetime() == datetime(2018, 3, 15, 13, 27, 36, 123_456)


def test_aware_datetime_becomes_utc_kind_and_naive_stays_unspecified() -> None:
    aware = datetime(2018, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=1)))
    assert DotNetDateTime.from_datetime(aware) == DotNetDateTime.from_parts(
        2018, 1, 1, 8, kind=Kind.UTC
    )
    assert DotNetDateTime.from_datetime(datetime(2018, 1, 1)).kind is Kind.UNSPECIFIED


def test_calendar_fields() -> None:
    value = DotNetDateTime.from_parts(2018, 3, 15, 13, 27, 36)
    assert (value.year, value.month, value.day) == (2018, 3, 15)
    assert (value.hour, value.minute, value.second) == (13, 27, 36)
    assert value.day_of_week == 4  # Thursday, with Sunday = 0
    assert value.day_of_year == 74
    assert DotNetDateTime.from_parts(2018, 4, 15).day_of_week == 0


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        ((2018, 1, 31), 1, (2018, 2, 28)),
        ((2020, 1, 31), 1, (2020, 2, 29)),
        ((2018, 3, 31), -1, (2018, 2, 28)),
        ((2018, 10, 31), 2, (2018, 12, 31)),
        ((2018, 12, 15), 1, (2019, 1, 15)),
        ((2018, 1, 15), -13, (2016, 12, 15)),
    ],
)
def test_add_months_clamps_the_day_like_dotnet(
    start: tuple[int, int, int], months: int, expected: tuple[int, int, int]
) -> None:
    value = DotNetDateTime.from_parts(*start, 10, 30, kind=Kind.UTC).add_months(months)
    assert (value.year, value.month, value.day, value.hour, value.minute) == (*expected, 10, 30)
    assert value.kind is Kind.UTC


def test_add_years_turns_february_29_into_february_28() -> None:
    value = DotNetDateTime.from_parts(2020, 2, 29).add_years(1)
    assert (value.year, value.month, value.day) == (2021, 2, 28)
    assert DotNetDateTime.from_parts(2020, 2, 29).add_years(4).day == 29


@pytest.mark.parametrize(
    "step",
    [
        lambda v: v.add_ticks(TICKS_PER_DAY),
        lambda v: v.add_months(1),
        lambda v: v.add_years(1),
        lambda v: v.add_years(10**9),
    ],
)
def test_leaving_year_9999_is_a_range_error(step: Callable[[DotNetDateTime], object]) -> None:
    with pytest.raises(DateTimeRangeError):
        step(DotNetDateTime.from_parts(9999, 12, 31))


def test_impossible_fields_are_range_errors() -> None:
    for fields in [(2018, 2, 29), (2018, 13, 1), (0, 1, 1), (2018, 1, 1, 24)]:
        with pytest.raises(DateTimeRangeError):
            DotNetDateTime.from_parts(*fields)


def test_start_of_keeps_the_kind() -> None:
    value = DotNetDateTime.from_parts(2018, 3, 15, 13, 30, 30, 5, kind=Kind.UTC)
    assert value.start_of_day() == DotNetDateTime.from_parts(2018, 3, 15, kind=Kind.UTC)
    assert value.start_of_hour() == DotNetDateTime.from_parts(2018, 3, 15, 13, kind=Kind.UTC)
    assert value.start_of_month() == DotNetDateTime.from_parts(2018, 3, 1, kind=Kind.UTC)


@pytest.mark.parametrize(
    ("ticks", "text"),
    [
        (1268 * TICKS_PER_DAY, "1268.00:00:00"),
        (0, "00:00:00"),
        (90 * 60 * 10_000_000, "01:30:00"),
        (-(TICKS_PER_DAY + 1), "-1.00:00:00.0000001"),
        (5_000_000, "00:00:00.5000000"),
    ],
)
def test_timespan_c_format(ticks: int, text: str) -> None:
    assert timespan_text(ticks) == text


@given(st.datetimes(timezones=st.just(UTC)))
def test_from_datetime_agrees_with_python_calendar(moment: datetime) -> None:
    value = DotNetDateTime.from_datetime(moment)
    assert value.to_datetime() == moment.replace(tzinfo=None)
    assert value.day_of_week == (moment.weekday() + 1) % 7
