"""The ticks of a recurrence bound to its base: period arithmetic, dateutil's ``rrule`` for the
days of a week or month, and the wall-clock-to-instant step where daylight saving time bites.

Calendar ticks are generated as naive wall-clock times in increasing order, period by period,
and turned into instants (``fold=0``: the first of a repeated time; a skipped time moves forward
by the jump). Only a skipped stretch of wall time makes that order and the instants' order
disagree, so the search scans past its first hit up to that hit's real wall time. Every search
is bounded: by ``HORIZON_YEARS`` of periods, and by ``endTime``.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from dateutil.relativedelta import relativedelta
from dateutil.rrule import MO, MONTHLY, WEEKLY, rrule, weekday

from smtp_connector.workflows.schedule.recurrence_fields import CALENDAR, Frequency
from smtp_connector.workflows.schedule.wall_time import require_aware, wall_to_instant

if TYPE_CHECKING:
    from smtp_connector.workflows.schedule.recurrence import Recurrence

HORIZON_YEARS = 50
"""No tick within this many years of the instant asked about: the recurrence counts as ended."""

_STEP = {
    Frequency.SECOND: timedelta(seconds=1),
    Frequency.MINUTE: timedelta(minutes=1),
    Frequency.HOUR: timedelta(hours=1),
}
_TICK = timedelta(microseconds=1)
# Looking back this far finds the offset in force before any recent jump of the clocks (the
# largest on record, Samoa's in 2011, skipped a whole day).
_LOOK_BACK = timedelta(hours=25)


class Timetable:
    """A recurrence with its base fixed: ``startTime``, or the anchor when there is none."""

    def __init__(self, recurrence: Recurrence, anchor: datetime) -> None:
        anchor = require_aware(anchor, "anchor")
        self._rec = recurrence
        self._zone = recurrence.wall_zone
        start = recurrence.start_wall
        base_wall = start if start is not None else self._wall(anchor)
        self._base = wall_to_instant(start, self._zone) if start is not None else anchor
        self._step = _STEP.get(recurrence.frequency, timedelta(0)) * recurrence.interval
        named = recurrence.hours or recurrence.minutes
        second, micro = base_wall.second, base_wall.microsecond
        if start is None and named:
            second = micro = 0
        self._times = sorted(
            time(hour, minute, second, micro)
            for hour in recurrence.hours or (base_wall.hour,)
            for minute in recurrence.minutes or (base_wall.minute,)
        )
        self._base_day = base_wall.date()
        self._first_unit = self._unit_of(base_wall.date())

    def next_after(self, instant: datetime) -> datetime | None:
        """The first tick strictly after ``instant`` (aware), or ``None``."""
        floor = max(require_aware(instant, "instant"), self._base - _TICK)
        try:
            if self._rec.frequency in CALENDAR:
                found = self._calendar_after(floor)
            else:
                found = self._base + ((floor - self._base) // self._step + 1) * self._step
        except (OverflowError, ValueError):  # past year 9999
            return None
        end = self._rec.end_time
        return None if found is None or (end is not None and found > end) else found

    def _calendar_after(self, floor: datetime) -> datetime | None:
        # A wall time skipped by a jump of the clocks maps with the offset before the jump, so
        # it can lie a jump's length before floor's wall time and still be after floor.
        offsets = [self._offset(floor), self._offset(floor - _LOOK_BACK)]
        earliest = floor.replace(tzinfo=None) + min(offsets)
        horizon = _years_later(self._wall(floor).date(), HORIZON_YEARS)
        if self._rec.end_time is not None:
            horizon = min(horizon, self._wall(self._rec.end_time).date() + timedelta(days=1))
        best: datetime | None = None
        stop: datetime | None = None
        for wall in self._candidates(earliest, horizon):
            if stop is not None and wall > stop:
                break
            tick = wall_to_instant(wall, self._zone)
            if tick <= floor:
                continue
            if best is None or tick < best:
                best = tick
            if stop is None:
                # Later wall times map to later instants, except skipped ones up to here.
                stop = self._wall(tick)
        return best

    def _candidates(self, earliest: datetime, horizon: date) -> Iterator[datetime]:
        """Wall-clock tick times from ``earliest`` on, in order, until ``horizon``."""
        period = max(0, self._period_of(earliest.date()))
        while (unit := self._unit_start(period)) <= horizon:
            for day in self._days(unit):
                if day < earliest.date():
                    continue
                times = self._times
                if day == earliest.date():
                    times = times[bisect_left(times, earliest.time()) :]
                for moment in times:
                    yield datetime.combine(day, moment)
            period += 1

    def _unit_of(self, day: date) -> date:
        """The first day of the day, week (from Monday) or month holding ``day``."""
        if self._rec.frequency == Frequency.WEEK:
            return day - timedelta(days=day.weekday())
        if self._rec.frequency == Frequency.MONTH:
            return day.replace(day=1)
        return day

    def _unit_start(self, period: int) -> date:
        """The first unit of period number ``period`` (0 holds the base)."""
        units = period * self._rec.interval
        if self._rec.frequency == Frequency.WEEK:
            return self._first_unit + timedelta(weeks=units)
        if self._rec.frequency == Frequency.MONTH:
            return self._first_unit + relativedelta(months=units)
        return self._first_unit + timedelta(days=units)

    def _period_of(self, day: date) -> int:
        """The number of the period holding ``day`` (negative before the base's)."""
        first = self._first_unit
        if self._rec.frequency == Frequency.MONTH:
            months = (day.year - first.year) * 12 + day.month - first.month
            return months // self._rec.interval
        days = (day - first).days
        if self._rec.frequency == Frequency.WEEK:
            return days // (7 * self._rec.interval)
        return days // self._rec.interval

    def _days(self, unit: date) -> list[date]:
        """The days of the unit starting at ``unit`` on which ticks fall."""
        if self._rec.frequency == Frequency.DAY:
            return [unit]
        start = datetime.combine(unit, time())
        if self._rec.frequency == Frequency.WEEK:
            weekdays = self._rec.week_days or (self._base_day.weekday(),)
            rule = rrule(
                WEEKLY, dtstart=start, until=start + timedelta(days=6), byweekday=weekdays, wkst=MO
            )
        else:
            rule = self._month_rule(start)
        return [moment.date() for moment in rule]

    def _month_rule(self, start: datetime) -> rrule:
        # until ends the rule at this month's end: a month without a match lets rrule look
        # further, and the first thing it finds there is past until.
        until = start + relativedelta(day=31)
        if self._rec.month_days:
            return rrule(MONTHLY, dtstart=start, until=until, bymonthday=self._rec.month_days)
        if self._rec.monthly_occurrences:
            nth = [weekday(day, n) for day, n in self._rec.monthly_occurrences]
            return rrule(MONTHLY, dtstart=start, until=until, byweekday=nth)
        day = self._base_day.day
        if day <= 28:
            return rrule(MONTHLY, dtstart=start, until=until, bymonthday=day)
        # The base's day or, in a shorter month, the month's last day.
        days = range(28, day + 1)
        return rrule(MONTHLY, dtstart=start, until=until, bymonthday=days, bysetpos=-1)

    def _wall(self, instant: datetime) -> datetime:
        return instant.astimezone(self._zone).replace(tzinfo=None)

    def _offset(self, instant: datetime) -> timedelta:
        return instant.astimezone(self._zone).utcoffset() or timedelta(0)


def _years_later(day: date, years: int) -> date:
    try:
        return day + relativedelta(years=years)
    except (OverflowError, ValueError):
        return date.max
