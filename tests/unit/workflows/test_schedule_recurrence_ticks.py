"""Recurrence ticks: each frequency, schedules, start times, DST, end times, the catch-up rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from smtp_connector.workflows.schedule import Due, Recurrence

LA = ZoneInfo("America/Los_Angeles")
PACIFIC = "Pacific Standard Time"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def la(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=LA).astimezone(UTC)


def ticks(
    obj: dict[str, Any], since: datetime, count: int, anchor: datetime | None = None
) -> list[datetime]:
    """The first ``count`` ticks at ``since`` or later (the anchor defaults to ``since``)."""
    recurrence = Recurrence.parse(obj)
    anchor = anchor or since
    found: list[datetime] = []
    tick = recurrence.first_at_or_after(since, anchor=anchor)
    while tick is not None and len(found) < count:
        found.append(tick)
        tick = recurrence.next_after(tick, anchor=anchor)
    return found


# --- elapsed-time frequencies -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "unit"),
    [
        ("Second", timedelta(seconds=1)),
        ("Minute", timedelta(minutes=1)),
        ("Hour", timedelta(hours=1)),
        ("Day", timedelta(days=1)),
        ("Week", timedelta(weeks=1)),
    ],
)
def test_without_a_schedule_ticks_are_interval_units_from_the_start(
    frequency: str, unit: timedelta
) -> None:
    start = utc(2024, 1, 10, 8, 15, 30)
    obj = {"frequency": frequency, "interval": 3, "startTime": "2024-01-10T08:15:30Z"}
    assert ticks(obj, start, 4) == [start + k * 3 * unit for k in range(4)]


def test_without_start_time_the_first_tick_is_the_anchor() -> None:
    enabled = utc(2024, 5, 1, 12, 34, 56, 789)
    assert ticks({"frequency": "Minute", "interval": 15}, enabled, 3) == [
        enabled,
        enabled + timedelta(minutes=15),
        enabled + timedelta(minutes=30),
    ]


def test_a_future_start_time_is_the_first_tick() -> None:
    obj = {"frequency": "Hour", "interval": 2, "startTime": "2030-06-01T10:00:00Z"}
    assert ticks(obj, utc(2024, 1, 1), 2) == [utc(2030, 6, 1, 10), utc(2030, 6, 1, 12)]


def test_a_past_start_time_discards_past_ticks_and_keeps_its_rhythm() -> None:
    # The documented example: every two days from Sept 7, 2 PM, seen on Sept 8 at 1 PM.
    obj = {"frequency": "Day", "interval": 2, "startTime": "2017-09-07T14:00:00Z"}
    assert ticks(obj, utc(2017, 9, 8, 13), 3) == [
        utc(2017, 9, 9, 14),
        utc(2017, 9, 11, 14),
        utc(2017, 9, 13, 14),
    ]


def test_hour_ticks_count_elapsed_time_across_dst() -> None:
    obj = {
        "frequency": "Hour",
        "interval": 1,
        "startTime": "2024-03-10T00:00:00",
        "timeZone": PACIFIC,
    }
    found = ticks(obj, la(2024, 3, 10, 0), 4)
    assert [b - a for a, b in pairwise(found)] == [timedelta(hours=1)] * 3
    assert [t.astimezone(LA).hour for t in found] == [0, 1, 3, 4]


# --- schedules ----------------------------------------------------------------------------------


def test_hours_times_minutes_fire_every_combination_each_day() -> None:
    obj = {"frequency": "Day", "interval": 1, "schedule": {"hours": [16, 8], "minutes": [45, 30]}}
    assert ticks(obj, utc(2024, 1, 1), 5) == [
        utc(2024, 1, 1, 8, 30),
        utc(2024, 1, 1, 8, 45),
        utc(2024, 1, 1, 16, 30),
        utc(2024, 1, 1, 16, 45),
        utc(2024, 1, 2, 8, 30),
    ]


def test_hours_alone_take_the_minute_from_the_anchor() -> None:
    saved = utc(2024, 1, 1, 11, 17, 42)
    obj = {"frequency": "Day", "interval": 1, "schedule": {"hours": [8]}}
    assert ticks(obj, saved, 2) == [utc(2024, 1, 2, 8, 17), utc(2024, 1, 3, 8, 17)]


def test_day_interval_fires_on_the_first_day_of_each_period() -> None:
    obj = {
        "frequency": "Day",
        "interval": 3,
        "startTime": "2024-01-01T00:00:00Z",
        "schedule": {"hours": [6, 18], "minutes": [0]},
    }
    assert ticks(obj, utc(2024, 1, 1), 4) == [
        utc(2024, 1, 1, 6),
        utc(2024, 1, 1, 18),
        utc(2024, 1, 4, 6),
        utc(2024, 1, 4, 18),
    ]


def test_the_documented_weekly_example() -> None:
    # Seen on Friday Sept 4, 2020; start Friday Sept 18 at 8:00 Pacific; Mondays 10:30, 12:30
    # and 2:30 PM: the first run is Monday Sept 21 at 10:30, and the day repeats a week later.
    obj = {
        "frequency": "Week",
        "interval": 1,
        "startTime": "2020-09-18T08:00:00",
        "timeZone": PACIFIC,
        "schedule": {"weekDays": ["Monday"], "hours": [10, 12, 14], "minutes": [30]},
    }
    assert ticks(obj, la(2020, 9, 4, 9), 4) == [
        la(2020, 9, 21, 10, 30),
        la(2020, 9, 21, 12, 30),
        la(2020, 9, 21, 14, 30),
        la(2020, 9, 28, 10, 30),
    ]


def test_every_saturday_at_5_pm_from_the_start_time() -> None:
    obj = {
        "frequency": "Week",
        "interval": 1,
        "startTime": "2017-09-09T17:00:00Z",
        "schedule": {"weekDays": ["Saturday"]},
    }
    assert ticks(obj, utc(2017, 9, 1), 3) == [
        utc(2017, 9, 9, 17),
        utc(2017, 9, 16, 17),
        utc(2017, 9, 23, 17),
    ]


def test_every_other_week_skips_the_week_between() -> None:
    obj = {
        "frequency": "Week",
        "interval": 2,
        "startTime": "2024-01-01T00:00:00Z",  # a Monday
        "schedule": {"weekDays": ["Monday", "Sunday"], "hours": [9], "minutes": [0]},
    }
    assert ticks(obj, utc(2024, 1, 1), 5) == [
        utc(2024, 1, 1, 9),
        utc(2024, 1, 7, 9),
        utc(2024, 1, 15, 9),
        utc(2024, 1, 21, 9),
        utc(2024, 1, 29, 9),
    ]


def test_a_schedule_fires_no_sooner_than_the_start_time() -> None:
    obj = {
        "frequency": "Day",
        "interval": 1,
        "startTime": "2024-01-01T12:00:00Z",
        "schedule": {"hours": [8, 20], "minutes": [0]},
    }
    assert ticks(obj, utc(2023, 12, 1), 2) == [utc(2024, 1, 1, 20), utc(2024, 1, 2, 8)]


def test_last_day_of_the_month() -> None:
    obj = {"frequency": "Month", "interval": 1, "schedule": {"monthDays": [-1]}}
    found = ticks(obj, utc(2024, 1, 15), 4, anchor=utc(2024, 1, 15, 6))
    assert [t.date().isoformat() for t in found] == [
        "2024-01-31",
        "2024-02-29",
        "2024-03-31",
        "2024-04-30",
    ]


def test_day_31_is_skipped_in_shorter_months() -> None:
    obj = {
        "frequency": "Month",
        "interval": 1,
        "startTime": "2025-01-01T07:00:00Z",
        "schedule": {"monthDays": [31]},
    }
    found = ticks(obj, utc(2025, 1, 1), 4)
    assert [t.date().isoformat() for t in found] == [
        "2025-01-31",
        "2025-03-31",
        "2025-05-31",
        "2025-07-31",
    ]
    assert all(t.hour == 7 for t in found)


def test_the_start_day_becomes_the_last_day_in_shorter_months() -> None:
    obj = {"frequency": "Month", "interval": 1, "startTime": "2024-01-31T10:00:00Z"}
    found = ticks(obj, utc(2024, 1, 1), 4)
    assert found == [
        utc(2024, 1, 31, 10),
        utc(2024, 2, 29, 10),
        utc(2024, 3, 31, 10),
        utc(2024, 4, 30, 10),
    ]


def test_month_interval_skips_months() -> None:
    obj = {
        "frequency": "Month",
        "interval": 3,
        "startTime": "2024-11-15T00:00:00Z",
        "schedule": {"monthDays": [1, 15]},
    }
    found = ticks(obj, utc(2024, 1, 1), 4)
    assert [t.date().isoformat() for t in found] == [
        "2024-11-15",
        "2025-02-01",
        "2025-02-15",
        "2025-05-01",
    ]


def test_every_hour_on_one_day_a_month() -> None:
    obj = {
        "frequency": "Month",
        "interval": 1,
        "startTime": "2024-01-05T08:25:00Z",
        "schedule": {"hours": list(range(24))},
    }
    found = ticks(obj, utc(2024, 1, 1), 17)
    assert found[:3] == [utc(2024, 1, 5, 8, 25), utc(2024, 1, 5, 9, 25), utc(2024, 1, 5, 10, 25)]
    assert found[16] == utc(2024, 2, 5, 0, 25)


def test_first_monday_of_each_month() -> None:
    obj = {
        "frequency": "Month",
        "interval": 1,
        "startTime": "2024-01-01T09:00:00Z",
        "schedule": {"monthlyOccurrences": [{"day": "Monday", "occurrence": 1}]},
    }
    found = ticks(obj, utc(2024, 1, 1), 3)
    assert found == [utc(2024, 1, 1, 9), utc(2024, 2, 5, 9), utc(2024, 3, 4, 9)]


def test_no_tick_after_the_end_time() -> None:
    obj = {
        "frequency": "Day",
        "interval": 1,
        "startTime": "2024-01-01T09:00:00Z",
        "endTime": "2024-01-03T09:00:00Z",
    }
    assert ticks(obj, utc(2023, 1, 1), 10) == [utc(2024, 1, d, 9) for d in (1, 2, 3)]
    assert Recurrence.parse(obj).next_after(utc(2030, 1, 1), anchor=utc(2023, 1, 1)) is None


# --- daylight saving time ------------------------------------------------------------------


def test_9_am_pacific_stays_9_am_across_a_whole_year() -> None:
    obj = {
        "frequency": "Day",
        "interval": 1,
        "timeZone": PACIFIC,
        "schedule": {"hours": [9], "minutes": [0]},
    }
    found = ticks(obj, utc(2024, 1, 1), 366)
    assert {t.astimezone(LA).time().isoformat() for t in found} == {"09:00:00"}
    assert len({t.astimezone(LA).date() for t in found}) == 366
    assert {t.hour for t in found} == {16, 17}  # UTC shifts with the clocks


def test_a_time_skipped_in_spring_fires_once_after_the_jump() -> None:
    obj = {
        "frequency": "Day",
        "interval": 1,
        "timeZone": PACIFIC,
        "startTime": "2024-03-09T02:30:00",
    }
    found = ticks(obj, utc(2024, 3, 1), 3)
    assert [t.astimezone(LA).isoformat() for t in found] == [
        "2024-03-09T02:30:00-08:00",
        "2024-03-10T03:30:00-07:00",  # 02:30 does not exist that night
        "2024-03-11T02:30:00-07:00",
    ]


def test_a_time_repeated_in_autumn_fires_once() -> None:
    obj = {
        "frequency": "Day",
        "interval": 1,
        "timeZone": PACIFIC,
        "startTime": "2024-11-02T01:30:00",
    }
    found = ticks(obj, utc(2024, 11, 1), 3)
    assert [t.astimezone(LA).isoformat() for t in found] == [
        "2024-11-02T01:30:00-07:00",
        "2024-11-03T01:30:00-07:00",  # the first 01:30; the second one is not a tick
        "2024-11-04T01:30:00-08:00",
    ]


def test_a_dense_schedule_over_the_spring_gap_neither_repeats_nor_goes_back() -> None:
    obj = {
        "frequency": "Day",
        "interval": 1,
        "timeZone": PACIFIC,
        "schedule": {"hours": [1, 2, 3], "minutes": [0, 30]},
    }
    found = ticks(obj, la(2024, 3, 10, 0), 5)
    assert [t.astimezone(LA).strftime("%H:%M%z") for t in found] == [
        "01:00-0800",
        "01:30-0800",
        "03:00-0700",  # 02:00 moved forward lands on 03:00: one tick
        "03:30-0700",
        "01:00-0700",  # the next day
    ]


def test_a_dense_schedule_over_the_autumn_repeat_fires_each_time_once() -> None:
    obj = {
        "frequency": "Day",
        "interval": 1,
        "timeZone": PACIFIC,
        "schedule": {"hours": [0, 1, 2], "minutes": [0, 30]},
    }
    found = ticks(obj, la(2024, 11, 3, 0), 6)
    assert [t.astimezone(LA).strftime("%H:%M%z") for t in found] == [
        "00:00-0700",
        "00:30-0700",
        "01:00-0700",
        "01:30-0700",
        "02:00-0800",
        "02:30-0800",
    ]


def test_next_after_a_moment_inside_the_repeated_hour() -> None:
    obj = {
        "frequency": "Day",
        "interval": 1,
        "timeZone": PACIFIC,
        "schedule": {"hours": [0, 1, 2], "minutes": [0, 30]},
    }
    recurrence = Recurrence.parse(obj)
    second_0115 = utc(2024, 11, 3, 9, 15)  # 01:15 PST, the second time 01:15 happens
    assert recurrence.next_after(second_0115, anchor=utc(2024, 1, 1)) == la(2024, 11, 3, 2, 0)


def test_next_after_the_spring_jump_finds_the_shifted_tick() -> None:
    obj = {
        "frequency": "Day",
        "interval": 1,
        "timeZone": PACIFIC,
        "schedule": {"hours": [2], "minutes": [30]},
    }
    recurrence = Recurrence.parse(obj)
    just_after_jump = la(2024, 3, 10, 3, 5)
    assert recurrence.next_after(just_after_jump, anchor=utc(2024, 1, 1)) == la(2024, 3, 10, 3, 30)


def test_a_half_hour_jump_can_put_a_skipped_time_after_a_real_one() -> None:
    # Lord Howe Island moves its clocks from 02:00 to 02:30: 02:15 fires at 02:45, after 02:30.
    obj = {
        "frequency": "Day",
        "interval": 1,
        "timeZone": "Lord Howe Standard Time",
        "schedule": {"hours": [2], "minutes": [15, 30]},
    }
    lord_howe = ZoneInfo("Australia/Lord_Howe")
    found = ticks(obj, datetime(2024, 10, 6, 1, 0, tzinfo=lord_howe), 3)
    assert [t.astimezone(lord_howe).strftime("%d %H:%M%z") for t in found] == [
        "06 02:30+1100",
        "06 02:45+1100",
        "07 02:15+1100",
    ]


# --- the catch-up rule ----------------------------------------------------------------------


def test_down_for_ten_ticks_fires_one_then_waits_for_the_next_future_tick() -> None:
    recurrence = Recurrence.parse(
        {"frequency": "Minute", "interval": 5, "startTime": "2024-01-01T00:00:00Z"}
    )
    anchor = utc(2024, 1, 1)
    stored = utc(2024, 1, 1, 1, 0)
    back_up = stored + timedelta(minutes=50, seconds=20)  # ticks 01:00 ... 01:50 all missed

    fired = []
    next_run_at: datetime | None = stored
    for now in (back_up, back_up + timedelta(seconds=5), back_up + timedelta(minutes=4)):
        assert next_run_at is not None
        due = recurrence.due(next_run_at, now, anchor=anchor)
        if due.fire is not None:
            fired.append(due.fire)
        next_run_at = due.next_run_at

    assert fired == [stored]
    assert next_run_at == utc(2024, 1, 1, 1, 55)


def test_nothing_is_due_before_the_stored_tick() -> None:
    recurrence = Recurrence.parse({"frequency": "Hour", "interval": 1})
    stored = utc(2024, 1, 1, 10)
    assert recurrence.due(
        stored, stored - timedelta(microseconds=1), anchor=utc(2024, 1, 1)
    ) == Due(None, stored)


def test_a_tick_is_due_at_its_exact_time() -> None:
    recurrence = Recurrence.parse(
        {"frequency": "Hour", "interval": 1, "startTime": "2024-01-01T00:00:00Z"}
    )
    stored = utc(2024, 1, 1, 10)
    assert recurrence.due(stored, stored, anchor=stored) == Due(stored, utc(2024, 1, 1, 11))


def test_the_last_tick_before_the_end_leaves_nothing_to_store() -> None:
    recurrence = Recurrence.parse(
        {
            "frequency": "Day",
            "interval": 1,
            "startTime": "2024-01-01T09:00:00Z",
            "endTime": "2024-01-02T09:00:00Z",
        }
    )
    last = utc(2024, 1, 2, 9)
    assert recurrence.due(last, last + timedelta(hours=1), anchor=last) == Due(last, None)


@pytest.mark.parametrize("naive", ["instant", "anchor"])
def test_naive_datetimes_are_refused(naive: str) -> None:
    recurrence = Recurrence.parse({"frequency": "Hour", "interval": 1})
    aware, plain = utc(2024, 1, 1), datetime(2024, 1, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        if naive == "instant":
            recurrence.next_after(plain, anchor=aware)
        else:
            recurrence.next_after(aware, anchor=plain)


def test_ticks_are_returned_in_utc() -> None:
    recurrence = Recurrence.parse({"frequency": "Day", "interval": 1, "timeZone": PACIFIC})
    tick = recurrence.next_after(la(2024, 6, 1, 12), anchor=la(2024, 6, 1, 8))
    assert tick == la(2024, 6, 2, 8)
    assert tick is not None and tick.tzinfo is UTC
