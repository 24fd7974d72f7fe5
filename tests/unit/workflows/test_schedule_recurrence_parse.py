"""Recurrence.parse: what is accepted, and every fault reported at its JSON pointer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from smtp_connector.workflows.schedule import (
    Frequency,
    MonthlyOccurrence,
    Recurrence,
    RecurrenceError,
)

BOUNDS = {
    "Month": 16,
    "Week": 71,
    "Day": 500,
    "Hour": 12_000,
    "Minute": 72_000,
    "Second": 9_999_999,
}


def _problems(obj: Any) -> list[tuple[str, str]]:
    with pytest.raises(RecurrenceError) as caught:
        Recurrence.parse(obj)
    return [(p.pointer, p.message) for p in caught.value.problems]


@pytest.mark.parametrize("name", ["Second", "minute", "HOUR", "Day", "week", "Month"])
def test_every_frequency_is_accepted_in_any_case(name: str) -> None:
    recurrence = Recurrence.parse({"frequency": name, "interval": 1})
    assert recurrence.frequency == Frequency(name.capitalize())


@pytest.mark.parametrize(("frequency", "highest"), BOUNDS.items())
def test_interval_bounds_are_inclusive(frequency: str, highest: int) -> None:
    assert Recurrence.parse({"frequency": frequency, "interval": 1}).interval == 1
    assert Recurrence.parse({"frequency": frequency, "interval": highest}).interval == highest


@pytest.mark.parametrize(("frequency", "highest"), BOUNDS.items())
@pytest.mark.parametrize("past", [0, 1])
def test_intervals_past_either_bound_are_refused(frequency: str, highest: int, past: int) -> None:
    interval = 0 if past == 0 else highest + 1
    assert _problems({"frequency": frequency, "interval": interval}) == [
        ("/interval", f"interval must be between 1 and {highest:,} for frequency {frequency}")
    ]


def test_the_day_bound_reads_as_the_brief_promises() -> None:
    assert _problems({"frequency": "Day", "interval": 501}) == [
        ("/interval", "interval must be between 1 and 500 for frequency Day")
    ]


def test_frequency_and_interval_are_required() -> None:
    assert [where for where, _ in _problems({})] == ["/frequency", "/interval"]


def test_an_unknown_frequency_lists_the_known_ones() -> None:
    [(where, message)] = _problems({"frequency": "Year", "interval": 1})
    assert where == "/frequency"
    assert "Second, Minute, Hour, Day, Week, Month" in message
    assert "'Year'" in message


@pytest.mark.parametrize("obj", [None, [], "Day", 3])
def test_a_recurrence_must_be_an_object(obj: Any) -> None:
    assert _problems(obj) == [("", "recurrence must be a JSON object")]


def test_member_names_are_matched_in_any_case() -> None:
    recurrence = Recurrence.parse(
        {"Frequency": "Day", "INTERVAL": 2, "Schedule": {"Hours": [8], "MINUTES": 30}}
    )
    assert (recurrence.interval, recurrence.hours, recurrence.minutes) == (2, (8,), (30,))


def test_numbers_as_text_and_single_values_are_accepted() -> None:
    recurrence = Recurrence.parse(
        {
            "frequency": "Week",
            "interval": "1",
            "schedule": {"weekDays": "friday", "hours": ["12"], "minutes": [0]},
        }
    )
    assert (recurrence.week_days, recurrence.hours, recurrence.minutes) == ((4,), (12,), (0,))


def test_unknown_members_are_kept_and_ignored() -> None:
    recurrence = Recurrence.parse(
        {"frequency": "Hour", "interval": 1, "evaluatedRecurrence": {"x": 1}, "note": "n"}
    )
    assert recurrence.extras == {"evaluatedRecurrence": {"x": 1}, "note": "n"}


def test_start_time_without_suffix_is_wall_clock_in_the_windows_zone() -> None:
    recurrence = Recurrence.parse(
        {
            "frequency": "Day",
            "interval": 1,
            "startTime": "2020-09-18T14:00:00",
            "timeZone": "Pacific Standard Time",
        }
    )
    assert recurrence.start_time == datetime(2020, 9, 18, 21, 0, tzinfo=UTC)  # PDT is UTC-7


def test_start_time_with_z_ignores_the_time_zone() -> None:
    recurrence = Recurrence.parse(
        {
            "frequency": "Day",
            "interval": 1,
            "startTime": "2020-09-18T14:00:00Z",
            "timeZone": "Pacific Standard Time",
        }
    )
    assert recurrence.start_time == datetime(2020, 9, 18, 14, 0, tzinfo=UTC)
    assert recurrence.wall_zone is UTC
    assert recurrence.time_zone == "Pacific Standard Time"


def test_start_time_with_an_offset_is_that_instant() -> None:
    recurrence = Recurrence.parse(
        {"frequency": "Day", "interval": 1, "startTime": "2020-09-18T14:00:00+02:00"}
    )
    assert recurrence.start_time == datetime(2020, 9, 18, 12, 0, tzinfo=UTC)
    assert recurrence.wall_zone == timezone(timedelta(hours=2))


def test_start_time_without_zone_or_suffix_is_utc() -> None:
    recurrence = Recurrence.parse(
        {"frequency": "Day", "interval": 1, "startTime": "2020-09-18T14:00:00.1234567"}
    )
    assert recurrence.start_time == datetime(2020, 9, 18, 14, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    ["2024-05-01", "2024-02-30T00:00:00", "2024-05-01 09:00:00", "yesterday", "2024-05-01T25:00"],
)
def test_start_time_must_be_a_date_and_time(text: str) -> None:
    [(where, message)] = _problems({"frequency": "Day", "interval": 1, "startTime": text})
    assert where == "/startTime"
    assert "2024-05-01T09:00:00" in message


def test_an_unknown_time_zone_is_refused() -> None:
    assert _problems({"frequency": "Day", "interval": 1, "timeZone": "Mars Standard Time"}) == [
        ("/timeZone", "timeZone 'Mars Standard Time' is not a Windows or IANA time zone name")
    ]


def test_iana_zone_names_work_too() -> None:
    recurrence = Recurrence.parse(
        {
            "frequency": "Day",
            "interval": 1,
            "timeZone": "Europe/Paris",
            "startTime": "2024-01-01T00:00:00",
        }
    )
    assert recurrence.start_time == datetime(2023, 12, 31, 23, 0, tzinfo=UTC)


def test_end_time_must_follow_start_time() -> None:
    obj = {
        "frequency": "Day",
        "interval": 1,
        "startTime": "2024-01-02T00:00:00Z",
        "endTime": "2024-01-01T00:00:00Z",
    }
    assert _problems(obj) == [("/endTime", "endTime must be after startTime")]


def test_schedule_values_are_checked_one_by_one() -> None:
    obj = {
        "frequency": "Week",
        "interval": 1,
        "schedule": {"hours": [1, 24, "x"], "minutes": [60], "weekDays": ["Monday", "Funday"]},
    }
    assert _problems(obj) == [
        ("/schedule/hours/1", "hours must be whole numbers from 0 to 23"),
        ("/schedule/hours/2", "hours must be whole numbers from 0 to 23"),
        ("/schedule/minutes/0", "minutes must be whole numbers from 0 to 59"),
        ("/schedule/weekDays/1", "'Funday' is not a day of the week (Monday to Sunday)"),
    ]


@pytest.mark.parametrize("day", [0, 32, -2, 1.5])
def test_month_days_are_1_to_31_or_minus_1(day: Any) -> None:
    obj = {"frequency": "Month", "interval": 1, "schedule": {"monthDays": [1, day]}}
    assert _problems(obj) == [
        (
            "/schedule/monthDays/1",
            "monthDays must be whole numbers from 1 to 31, or -1 for the last day of the month",
        )
    ]


@pytest.mark.parametrize(
    ("frequency", "member", "value", "message"),
    [
        ("Day", "weekDays", ["Monday"], "weekDays applies only to frequency Week, not Day"),
        ("Month", "weekDays", ["Monday"], "weekDays applies only to frequency Week, not Month"),
        ("Week", "monthDays", [1], "monthDays applies only to frequency Month, not Week"),
        ("Hour", "hours", [1], "hours applies only to frequency Day, Week or Month, not Hour"),
        (
            "Minute",
            "minutes",
            [1],
            "minutes applies only to frequency Day, Week or Month, not Minute",
        ),
    ],
)
def test_schedule_members_apply_to_their_frequencies(
    frequency: str, member: str, value: Any, message: str
) -> None:
    obj = {"frequency": frequency, "interval": 1, "schedule": {member: value}}
    assert _problems(obj) == [(f"/schedule/{member}", message)]


def test_an_empty_schedule_is_no_schedule() -> None:
    recurrence = Recurrence.parse({"frequency": "Hour", "interval": 1, "schedule": {}})
    assert (recurrence.hours, recurrence.minutes, recurrence.week_days) == ((), (), ())


def test_monthly_occurrences_are_read() -> None:
    recurrence = Recurrence.parse(
        {
            "frequency": "Month",
            "interval": 1,
            "schedule": {"monthlyOccurrences": [{"day": "friday", "occurrence": -1}]},
        }
    )
    assert recurrence.monthly_occurrences == (MonthlyOccurrence(4, -1),)


def test_bad_monthly_occurrences_point_inside_the_item() -> None:
    obj = {
        "frequency": "Month",
        "interval": 1,
        "schedule": {"monthlyOccurrences": [{"day": "Someday", "occurrence": 6}]},
    }
    assert [where for where, _ in _problems(obj)] == [
        "/schedule/monthlyOccurrences/0/day",
        "/schedule/monthlyOccurrences/0/occurrence",
    ]


def test_a_schedule_that_can_never_fire_is_refused() -> None:
    # Every 12 months from February, on the 30th: February never has one.
    obj = {
        "frequency": "Month",
        "interval": 12,
        "startTime": "2025-02-01T00:00:00Z",
        "schedule": {"monthDays": [30]},
    }
    [(where, message)] = _problems(obj)
    assert where == "/schedule"
    assert "never fires" in message


def test_an_end_time_before_the_first_tick_is_refused() -> None:
    obj = {
        "frequency": "Month",
        "interval": 1,
        "startTime": "2025-02-01T00:00:00Z",
        "endTime": "2025-02-20T00:00:00Z",
        "schedule": {"monthDays": [25]},
    }
    assert _problems(obj) == [("/endTime", "endTime comes before the first scheduled time")]


def test_the_error_is_a_value_error_with_a_readable_message() -> None:
    with pytest.raises(ValueError, match="/interval: interval must be between 1 and 16"):
        Recurrence.parse({"frequency": "Month", "interval": 17})
