"""A trigger's ``recurrence`` (WORKFLOWS.md §2.2) as a validated value, and its ticks.

    {"frequency": "Week", "interval": 1, "timeZone": "Pacific Standard Time",
     "startTime": "2024-03-04T00:00:00",
     "schedule": {"weekDays": ["Monday"], "hours": [10, 12, 14], "minutes": [30]}}

``Recurrence.parse`` checks the object and reports every fault at once (``RecurrenceError``);
``next_after``, ``first_at_or_after`` and ``due`` compute ticks. Instants in and out are
timezone-aware (returned in UTC); nothing here reads the clock.

Rules, from the Logic Apps documentation unless marked [inferred]:

- ``interval`` bounds: Month 1-16, Week 1-71, Day 1-500, Hour 1-12,000, Minute 1-72,000,
  Second 1-9,999,999. ``frequency`` and day names are matched in any case.
- ``startTime`` ``YYYY-MM-DDThh:mm:ss`` is a wall-clock time in ``timeZone`` (Windows or IANA
  name); with ``Z`` or an offset it is that instant and ``timeZone`` is ignored, as the runtime
  does. With neither it is UTC [inferred].
- The *base* is ``startTime``, else the *anchor*: the instant the engine enabled the trigger,
  which every method takes (the runtime uses the save time). No tick comes before the base.
- Second, Minute, Hour: every ``interval`` units of elapsed time from the base; the first tick
  is the base itself ("runs the first workload instantly" without ``startTime``).
- Day, Week, Month: wall-clock times in the zone, so 09:00 stays 09:00 local across daylight
  saving time. A time the clocks skip fires as far past the jump as it was meant to be past
  the hour (02:30 on the spring-forward night fires at 03:30); a time that happens twice fires
  once, the first time.
- ``schedule``: ``hours`` and ``minutes`` (Day, Week, Month), ``weekDays`` (Week), ``monthDays``
  with -1 for the last day, or ``monthlyOccurrences`` (Month). What it leaves out comes from
  the base: its hour, minute, weekday, day of the month. The seconds come from the base too,
  except that an anchor-based schedule naming hours or minutes fires on the whole minute
  [inferred].
- Ticks fall in the first day, week (Monday to Sunday [inferred]) or month of every
  ``interval``-long period counted from the base's.
- Month days: the base's day becomes the last day in shorter months (Jan 31, Feb 29, Mar 31, as
  .NET ``AddMonths``); a ``monthDays`` entry a month lacks is skipped there (RFC 5545) [both
  inferred].
- ``endTime``: no tick after it. A rule with no tick within ``HORIZON_YEARS`` counts as ended;
  with a ``startTime`` that is refused at parse time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, NamedTuple

from smtp_connector.workflows.schedule.errors import Problem, RecurrenceError
from smtp_connector.workflows.schedule.recurrence_fields import (
    Frequency,
    MonthlyOccurrence,
    read_frequency,
    read_interval,
    read_schedule,
    read_times,
)
from smtp_connector.workflows.schedule.timetable import HORIZON_YEARS, Timetable
from smtp_connector.workflows.schedule.wall_time import require_aware, wall_to_instant

_KNOWN = {"frequency", "interval", "starttime", "endtime", "timezone", "schedule"}


class Due(NamedTuple):
    fire: datetime | None
    """The scheduled time to fire now, or ``None`` when nothing is due yet."""
    next_run_at: datetime | None
    """What to store as the next tick; ``None`` when the recurrence has ended."""


@dataclass(frozen=True)
class Recurrence:
    """A validated ``recurrence``; build it with ``Recurrence.parse``."""

    frequency: Frequency
    interval: int
    start_wall: datetime | None = None
    """``startTime`` as written, naive, on ``wall_zone``'s clock; ``None``: the anchor is base."""
    end_time: datetime | None = None
    time_zone: str | None = None
    """``timeZone`` as written (kept even when ``startTime`` has ``Z`` and it is ignored)."""
    wall_zone: tzinfo = UTC
    """The zone whose wall clock places Day, Week and Month ticks."""
    hours: tuple[int, ...] = ()
    minutes: tuple[int, ...] = ()
    week_days: tuple[int, ...] = ()
    """0 = Monday."""
    month_days: tuple[int, ...] = ()
    monthly_occurrences: tuple[MonthlyOccurrence, ...] = ()
    extras: Mapping[str, Any] = field(default_factory=dict, compare=False)
    """Members we do not use, kept as given (exports carry extras)."""

    @property
    def start_time(self) -> datetime | None:
        """``startTime`` as an instant (UTC), or ``None``."""
        return wall_to_instant(self.start_wall, self.wall_zone) if self.start_wall else None

    @classmethod
    def parse(cls, obj: Any) -> Recurrence:
        """The recurrence ``obj`` describes; raises ``RecurrenceError`` listing every fault."""
        if not isinstance(obj, Mapping):
            raise RecurrenceError([Problem("", "recurrence must be a JSON object")])
        problems: list[Problem] = []
        frequency = read_frequency(obj, problems)
        interval = read_interval(obj, frequency, problems)
        times = read_times(obj, problems)
        schedule = read_schedule(obj, frequency, problems)
        if problems or frequency is None or interval is None:
            raise RecurrenceError(problems)
        extras = {
            k: v for k, v in obj.items() if not (isinstance(k, str) and k.casefold() in _KNOWN)
        }
        recurrence = cls(
            frequency,
            interval,
            times.start_wall,
            times.end,
            times.time_zone,
            times.wall_zone,
            *schedule,
            extras=extras,
        )
        start = recurrence.start_time
        if start is not None:
            recurrence._check_fires(start)
        return recurrence

    def next_after(self, instant: datetime, *, anchor: datetime) -> datetime | None:
        """The first tick strictly after ``instant``; ``None`` when there is none.

        ``anchor`` is when the trigger was enabled; it is the base only without ``startTime``.
        Raises ``ValueError`` for a naive datetime.
        """
        return Timetable(self, anchor).next_after(instant)

    def first_at_or_after(self, instant: datetime, *, anchor: datetime) -> datetime | None:
        """The first tick at ``instant`` or later: what to store when a trigger is enabled."""
        return self.next_after(instant - timedelta(microseconds=1), anchor=anchor)

    def due(self, next_run_at: datetime, now: datetime, *, anchor: datetime) -> Due:
        """What to fire at ``now``, given the stored ``next_run_at``: one tick at most.

        Once ``next_run_at`` has come it fires, with that scheduled time, and the next tick is
        the first one after ``now``: ticks missed while nothing ran are dropped, not replayed
        in a burst (the runtime "doesn't process missed recurrences"; the one pending tick is
        the catch-up run). Firing the stored tick, the first missed one, rather than the latest
        makes the scheduled time independent of ``now``: every process racing for the row
        computes the same one, so it can serve as the run's idempotency key.
        """
        next_run_at = require_aware(next_run_at, "next_run_at")
        if next_run_at > require_aware(now, "now"):
            return Due(None, next_run_at)
        return Due(next_run_at, self.next_after(now, anchor=anchor))

    def _check_fires(self, start: datetime) -> None:
        if self.first_at_or_after(start, anchor=start) is not None:
            return
        unbounded = replace(self, end_time=None)
        if self.end_time is not None and unbounded.first_at_or_after(start, anchor=start):
            where, message = "/endTime", "endTime comes before the first scheduled time"
        else:
            where = "/schedule"
            message = f"the schedule never fires: no matching day within {HORIZON_YEARS} years"
        raise RecurrenceError([Problem(where, message)])
