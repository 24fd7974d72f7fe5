"""Properties of recurrence ticks over generated recurrences, zones and instants."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from smtp_connector.workflows.schedule import Recurrence, RecurrenceError

HIGHEST = {
    "Second": 9_999_999,
    "Minute": 72_000,
    "Hour": 12_000,
    "Day": 500,
    "Week": 71,
    "Month": 16,
}
UNIT = {
    "Second": timedelta(seconds=1),
    "Minute": timedelta(minutes=1),
    "Hour": timedelta(hours=1),
    "Day": timedelta(days=1),
    "Week": timedelta(weeks=1),
}
ZONES = [
    "UTC",
    "Pacific Standard Time",
    "W. Europe Standard Time",
    "AUS Eastern Standard Time",
    "Lord Howe Standard Time",  # a 30-minute DST jump
    "India Standard Time",  # a half-hour offset, no DST
    "Chatham Islands Standard Time",  # +12:45 / +13:45
]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
)
wall_times = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1))


@st.composite
def recurrences(draw: st.DrawFn, *, schedules: bool = True, zones: bool = True) -> dict[str, Any]:
    frequency = draw(st.sampled_from(list(HIGHEST)))
    highest = HIGHEST[frequency]
    interval = draw(st.one_of(st.integers(1, min(highest, 40)), st.sampled_from([1, highest])))
    obj: dict[str, Any] = {"frequency": frequency, "interval": interval}
    if zones and draw(st.booleans()):
        obj["timeZone"] = draw(st.sampled_from(ZONES))
    if draw(st.booleans()):
        start = draw(wall_times).replace(microsecond=0).isoformat()
        obj["startTime"] = start + draw(st.sampled_from(["", "Z"]))
    if schedules and frequency in ("Day", "Week", "Month") and draw(st.booleans()):
        schedule: dict[str, Any] = {}
        if draw(st.booleans()):
            schedule["hours"] = draw(st.lists(st.integers(0, 23), min_size=1, max_size=4))
        if draw(st.booleans()):
            schedule["minutes"] = draw(st.lists(st.integers(0, 59), min_size=1, max_size=4))
        if frequency == "Week" and draw(st.booleans()):
            schedule["weekDays"] = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=3))
        if frequency == "Month" and draw(st.booleans()):
            days = st.sampled_from([1, 2, 15, 28, 29, 30, 31, -1])
            schedule["monthDays"] = draw(st.lists(days, min_size=1, max_size=3))
        obj["schedule"] = schedule
    return obj


def _parse(obj: dict[str, Any]) -> Recurrence:
    try:
        return Recurrence.parse(obj)
    except RecurrenceError:
        assume(False)  # a schedule that never fires; refused, tested elsewhere
        raise


def _chain(recurrence: Recurrence, since: datetime, anchor: datetime, count: int) -> list[datetime]:
    found: list[datetime] = []
    tick = recurrence.first_at_or_after(since, anchor=anchor)
    while tick is not None and len(found) < count:
        found.append(tick)
        tick = recurrence.next_after(tick, anchor=anchor)
    return found


@settings(deadline=None)
@given(recurrences(), instants, instants)
def test_the_next_tick_is_strictly_later_and_never_before_the_base(
    obj: dict[str, Any], instant: datetime, anchor: datetime
) -> None:
    recurrence = _parse(obj)
    tick = recurrence.next_after(instant, anchor=anchor)
    assert tick is not None  # no endTime, and every generated rule fires
    assert tick > instant
    assert tick >= (recurrence.start_time or anchor)
    assert tick.tzinfo is UTC


@settings(deadline=None)
@given(recurrences(), instants, instants)
def test_ticks_increase_and_none_is_skipped(
    obj: dict[str, Any], since: datetime, anchor: datetime
) -> None:
    recurrence = _parse(obj)
    found = _chain(recurrence, since, anchor, 5)
    assert len(found) == 5
    assert found[0] >= since
    for earlier, later in pairwise(found):
        assert earlier < later
        between = earlier + (later - earlier) / 2
        assert recurrence.next_after(between, anchor=anchor) == later
        assert recurrence.first_at_or_after(later, anchor=anchor) == later


@settings(deadline=None)
@given(recurrences(schedules=False, zones=False), instants, instants)
def test_without_a_schedule_ticks_are_interval_units_apart(
    obj: dict[str, Any], since: datetime, anchor: datetime
) -> None:
    recurrence = _parse(obj)
    found = _chain(recurrence, since, anchor, 4)
    base = recurrence.start_time or anchor
    for earlier, later in pairwise(found):
        if recurrence.frequency == "Month":
            months = (later.year - earlier.year) * 12 + later.month - earlier.month
            assert months == recurrence.interval
            assert later.time() == base.time()
            last_day = calendar.monthrange(later.year, later.month)[1]
            assert later.day == min(base.day, last_day)
        else:
            assert later - earlier == recurrence.interval * UNIT[recurrence.frequency]
    if found and recurrence.frequency != "Month":
        # Every tick is a whole number of intervals from the base.
        assert (found[0] - base) % (recurrence.interval * UNIT[recurrence.frequency]) == timedelta(
            0
        )


@settings(deadline=None)
@given(recurrences(), instants, st.integers(0, 5), st.floats(0, 1))
def test_the_catch_up_rule_fires_once_then_the_first_future_tick(
    obj: dict[str, Any], anchor: datetime, missed: int, fraction: float
) -> None:
    recurrence = _parse(obj)
    stored = recurrence.first_at_or_after(anchor, anchor=anchor)
    assert stored is not None
    # "now" lies somewhere after the stored tick, up to five more ticks later.
    later = stored
    for _ in range(missed):
        following = recurrence.next_after(later, anchor=anchor)
        assert following is not None
        later = following
    following = recurrence.next_after(later, anchor=anchor)
    assert following is not None
    now = later + (following - later) * fraction
    assume(now < datetime(2100, 1, 1, tzinfo=UTC))
    due = recurrence.due(stored, now, anchor=anchor)
    assert due.fire == stored
    assert due.next_run_at is not None and due.next_run_at > now
    assert due.next_run_at == recurrence.next_after(now, anchor=anchor)
    # Asking again at the same moment fires nothing more.
    again = recurrence.due(due.next_run_at, now, anchor=anchor)
    assert again.fire is None and again.next_run_at == due.next_run_at


@settings(deadline=None)
@given(recurrences(), instants)
def test_nothing_is_due_before_the_stored_tick(obj: dict[str, Any], anchor: datetime) -> None:
    recurrence = _parse(obj)
    stored = recurrence.first_at_or_after(anchor, anchor=anchor)
    assert stored is not None
    assert recurrence.due(stored, stored - timedelta(microseconds=1), anchor=anchor).fire is None


@settings(deadline=None)
@given(st.integers(1, 16), st.integers(1, 31), instants)
def test_month_days_fall_on_that_day_or_the_month_end(
    interval: int, day: int, since: datetime
) -> None:
    obj = {"frequency": "Month", "interval": interval, "schedule": {"monthDays": [day, -1]}}
    recurrence = _parse(obj)
    for tick in _chain(recurrence, since, since, 6):
        last_day = calendar.monthrange(tick.year, tick.month)[1]
        assert tick.day in (day, last_day)
    first = recurrence.first_at_or_after(since, anchor=since)
    assert first is not None and first <= since + relativedelta(months=interval + 1)


@cache
def _clock_changes(zone_name: str, year: int) -> list[date]:
    """The local dates in ``year`` on which ``zone_name`` changes its offset."""
    zone = ZoneInfo(zone_name)
    moment, changes = datetime(year, 1, 1, tzinfo=UTC), []
    while moment.year == year:
        after = moment + timedelta(minutes=15)
        if moment.astimezone(zone).utcoffset() != after.astimezone(zone).utcoffset():
            changes.append(after.astimezone(zone).date())
        moment = after
    return changes


DST_ZONES = {
    "Pacific Standard Time": "America/Los_Angeles",
    "W. Europe Standard Time": "Europe/Berlin",
    "AUS Eastern Standard Time": "Australia/Sydney",
    "Lord Howe Standard Time": "Australia/Lord_Howe",
    "Chatham Islands Standard Time": "Pacific/Chatham",
}


@settings(deadline=None)
@given(
    st.sampled_from(sorted(DST_ZONES)),
    st.integers(2020, 2030),
    st.integers(0, 1),
    st.lists(st.integers(0, 23), min_size=1, max_size=6),
    st.lists(st.integers(0, 59), min_size=1, max_size=4),
)
def test_daily_schedules_around_clock_changes_match_a_brute_force_listing(
    windows_name: str, year: int, which: int, hours: list[int], minutes: list[int]
) -> None:
    zone = ZoneInfo(DST_ZONES[windows_name])
    changes = _clock_changes(DST_ZONES[windows_name], year)
    change = changes[which % len(changes)]
    first_day, last_day = change - timedelta(days=2), change + timedelta(days=2)
    # Every listed wall time of every day, as an instant: fold=0 for a repeated time, and a
    # skipped time moved forward by the jump; duplicates collapse.
    expected = sorted(
        {
            datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).astimezone(UTC)
            for offset in range(-1, (last_day - first_day).days + 2)
            for day in [first_day + timedelta(days=offset)]
            for hour in hours
            for minute in minutes
        }
    )
    since = datetime.combine(first_day, time(), zone).astimezone(UTC)
    until = datetime.combine(last_day, time(), zone).astimezone(UTC)
    expected = [tick for tick in expected if since <= tick < until]

    obj = {"frequency": "Day", "interval": 1, "timeZone": windows_name}
    obj["schedule"] = {"hours": hours, "minutes": minutes}
    recurrence = Recurrence.parse(obj)
    found = [t for t in _chain(recurrence, since, since, len(expected) + 1) if t < until]
    assert found == expected
