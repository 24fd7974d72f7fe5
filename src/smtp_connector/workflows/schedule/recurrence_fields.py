"""Reading and checking each member of a ``recurrence`` object; faults go to a problem list.

Each reader returns the value, or ``None`` after appending a ``Problem`` (pointer relative to
the recurrence object, message a user can act on), so that one pass reports every fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from typing import Any, NamedTuple

from smtp_connector.workflows.expressions.timezones import UnknownTimeZone, zone
from smtp_connector.workflows.schedule.errors import Problem
from smtp_connector.workflows.schedule.fields import as_list, member, pointer, whole_number
from smtp_connector.workflows.schedule.wall_time import parse_wall_time, wall_to_instant


class Frequency(StrEnum):
    SECOND = "Second"
    MINUTE = "Minute"
    HOUR = "Hour"
    DAY = "Day"
    WEEK = "Week"
    MONTH = "Month"


MAX_INTERVAL: Mapping[Frequency, int] = {
    Frequency.MONTH: 16,
    Frequency.WEEK: 71,
    Frequency.DAY: 500,
    Frequency.HOUR: 12_000,
    Frequency.MINUTE: 72_000,
    Frequency.SECOND: 9_999_999,
}
CALENDAR = (Frequency.DAY, Frequency.WEEK, Frequency.MONTH)
"""Frequencies whose ticks sit on the wall clock (and may have a schedule)."""
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
"""Index = ``datetime.weekday()``, also dateutil's weekday number."""
MIN_YEAR, MAX_YEAR = 1900, 9000


class MonthlyOccurrence(NamedTuple):
    weekday: int
    """0 = Monday."""
    occurrence: int
    """1 to 5: the nth such weekday of the month; -1 to -5: counted from the month's end."""


class Schedule(NamedTuple):
    hours: tuple[int, ...] = ()
    minutes: tuple[int, ...] = ()
    week_days: tuple[int, ...] = ()
    month_days: tuple[int, ...] = ()
    monthly_occurrences: tuple[MonthlyOccurrence, ...] = ()


class Times(NamedTuple):
    start_wall: datetime | None
    """Naive, on the wall clock of ``wall_zone``, as written (a skipped time stays as written)."""
    end: datetime | None
    """An aware instant (UTC)."""
    time_zone: str | None
    wall_zone: tzinfo


def read_frequency(obj: Mapping[str, Any], problems: list[Problem]) -> Frequency | None:
    found = member(obj, "frequency")
    names = ", ".join(f.value for f in Frequency)
    if found is None:
        problems.append(Problem("/frequency", f"frequency is required: one of {names}"))
        return None
    key, value = found
    if isinstance(value, str):
        for frequency in Frequency:
            if value.strip().casefold() == frequency.casefold():
                return frequency
    problems.append(Problem(pointer(key), f"frequency must be one of {names}, not {value!r}"))
    return None


def read_interval(
    obj: Mapping[str, Any], frequency: Frequency | None, problems: list[Problem]
) -> int | None:
    found = member(obj, "interval")
    if found is None:
        problems.append(Problem("/interval", "interval is required: a whole number of units"))
        return None
    key, value = found
    interval = whole_number(value)
    highest = MAX_INTERVAL[frequency] if frequency else None
    if interval is None:
        problems.append(Problem(pointer(key), f"interval must be a whole number, not {value!r}"))
    elif highest is not None and not 1 <= interval <= highest:
        problems.append(
            Problem(
                pointer(key),
                f"interval must be between 1 and {highest:,} for frequency {frequency}",
            )
        )
    elif interval < 1:
        problems.append(Problem(pointer(key), "interval must be at least 1"))
    else:
        return interval
    return None


def read_times(obj: Mapping[str, Any], problems: list[Problem]) -> Times:
    """``startTime``, ``endTime`` and ``timeZone``, and the zone whose wall clock counts."""
    time_zone: str | None = None
    named_zone: tzinfo | None = None
    found = member(obj, "timeZone")
    if found is not None and found[1] != "":
        key, value = found
        if not isinstance(value, str):
            problems.append(Problem(pointer(key), "timeZone must be a time zone name"))
        else:
            time_zone = value
            try:
                named_zone = zone(value)
            except UnknownTimeZone:
                message = f"timeZone {value!r} is not a Windows or IANA time zone name"
                problems.append(Problem(pointer(key), message))
    start = _wall_time(obj, "startTime", problems)
    # A startTime with Z or an offset is an instant: the runtime then ignores timeZone.
    wall_zone: tzinfo = UTC
    if start is not None and start[1] is not None:
        wall_zone = start[1]
    elif named_zone is not None:
        wall_zone = named_zone
    start_at = _instant(start, wall_zone)
    end_at = _instant(_wall_time(obj, "endTime", problems), wall_zone)
    if start_at and end_at and end_at <= start_at:
        where = member(obj, "endTime")
        message = "endTime must be after startTime"
        problems.append(Problem(pointer(where[0] if where else "endTime"), message))
    return Times(start[0] if start else None, end_at, time_zone, wall_zone)


def read_schedule(
    obj: Mapping[str, Any], frequency: Frequency | None, problems: list[Problem]
) -> Schedule:
    found = member(obj, "schedule")
    if found is None:
        return Schedule()
    key, schedule = found
    if not isinstance(schedule, Mapping):
        problems.append(Problem(pointer(key), "schedule must be a JSON object"))
        return Schedule()
    hours = _numbers(schedule, key, "hours", range(24), "whole numbers from 0 to 23", problems)
    minutes = _numbers(schedule, key, "minutes", range(60), "whole numbers from 0 to 59", problems)
    week_days = _week_days(schedule, key, problems)
    month_days = _numbers(
        schedule,
        key,
        "monthDays",
        [*range(1, 32), -1],
        "whole numbers from 1 to 31, or -1 for the last day of the month",
        problems,
    )
    occurrences = _occurrences(schedule, key, problems)
    if frequency is not None:
        allowed = {
            "hours": CALENDAR,
            "minutes": CALENDAR,
            "weekDays": (Frequency.WEEK,),
            "monthDays": (Frequency.MONTH,),
            "monthlyOccurrences": (Frequency.MONTH,),
        }
        given = {
            "hours": hours,
            "minutes": minutes,
            "weekDays": week_days,
            "monthDays": month_days,
            "monthlyOccurrences": occurrences,
        }
        for name, frequencies in allowed.items():
            if given[name] and frequency not in frequencies:
                where = member(schedule, name)
                names = [f.value for f in frequencies]
                listed = " or ".join([", ".join(names[:-1]), names[-1]] if names[:-1] else names)
                problems.append(
                    Problem(
                        pointer(key, where[0] if where else name),
                        f"{name} applies only to frequency {listed}, not {frequency}",
                    )
                )
    if month_days and occurrences:
        where = member(schedule, "monthlyOccurrences")
        problems.append(
            Problem(
                pointer(key, where[0] if where else "monthlyOccurrences"),
                "use either monthDays or monthlyOccurrences, not both",
            )
        )
    return Schedule(hours, minutes, week_days, month_days, occurrences)


def _wall_time(
    obj: Mapping[str, Any], name: str, problems: list[Problem]
) -> tuple[datetime, tzinfo | None] | None:
    found = member(obj, name)
    if found is None or found[1] == "":
        return None
    key, value = found
    parsed = parse_wall_time(value) if isinstance(value, str) else None
    if parsed is None:
        problems.append(
            Problem(
                pointer(key),
                f"{name} must be a date and time such as 2024-05-01T09:00:00 "
                "(in timeZone) or 2024-05-01T09:00:00Z (UTC)",
            )
        )
    elif not MIN_YEAR <= parsed[0].year <= MAX_YEAR:
        problems.append(
            Problem(pointer(key), f"{name} must be between the years {MIN_YEAR} and {MAX_YEAR}")
        )
    else:
        return parsed
    return None


def _instant(wall: tuple[datetime, tzinfo | None] | None, wall_zone: tzinfo) -> datetime | None:
    if wall is None:
        return None
    naive, own_zone = wall
    return wall_to_instant(naive, own_zone or wall_zone)


def _numbers(
    schedule: Mapping[str, Any],
    schedule_key: str,
    name: str,
    allowed: range | list[int],
    wording: str,
    problems: list[Problem],
) -> tuple[int, ...]:
    found = member(schedule, name)
    if found is None:
        return ()
    key, value = found
    values: set[int] = set()
    for index, item in enumerate(as_list(value)):
        number = whole_number(item)
        if number is None or number not in allowed:
            where = pointer(schedule_key, key, index) if isinstance(value, list) else None
            problems.append(
                Problem(where or pointer(schedule_key, key), f"{name} must be {wording}")
            )
        else:
            values.add(number)
    return tuple(sorted(values))


def _weekday(value: Any) -> int | None:
    if isinstance(value, str):
        folded = value.strip().casefold()
        for index, name in enumerate(WEEKDAYS):
            if folded == name.casefold():
                return index
    return None


def _week_days(
    schedule: Mapping[str, Any], schedule_key: str, problems: list[Problem]
) -> tuple[int, ...]:
    found = member(schedule, "weekDays")
    if found is None:
        return ()
    key, value = found
    days: set[int] = set()
    for index, item in enumerate(as_list(value)):
        day = _weekday(item)
        if day is None:
            where = pointer(schedule_key, key, index) if isinstance(value, list) else None
            problems.append(
                Problem(
                    where or pointer(schedule_key, key),
                    f"{item!r} is not a day of the week (Monday to Sunday)",
                )
            )
        else:
            days.add(day)
    return tuple(sorted(days))


def _occurrences(
    schedule: Mapping[str, Any], schedule_key: str, problems: list[Problem]
) -> tuple[MonthlyOccurrence, ...]:
    found = member(schedule, "monthlyOccurrences")
    if found is None:
        return ()
    key, value = found
    result: set[MonthlyOccurrence] = set()
    for index, item in enumerate(as_list(value)):
        where = pointer(schedule_key, key, index) if isinstance(value, list) else None
        where = where or pointer(schedule_key, key)
        if not isinstance(item, Mapping):
            problems.append(
                Problem(where, 'each monthly occurrence is {"day": "Monday", "occurrence": 1}')
            )
            continue
        day_member = member(item, "day") or ("day", None)
        day = _weekday(day_member[1])
        if day is None:
            message = "day must be a day of the week (Monday to Sunday)"
            problems.append(Problem(where + pointer(day_member[0]), message))
        number_member = member(item, "occurrence") or ("occurrence", None)
        number = whole_number(number_member[1])
        if number is None or not (1 <= number <= 5 or -5 <= number <= -1):
            message = "occurrence must be 1 to 5, or -1 to -5 counting from the month's end"
            problems.append(Problem(where + pointer(number_member[0]), message))
        elif day is not None:
            result.add(MonthlyOccurrence(day, number))
    return tuple(sorted(result))
