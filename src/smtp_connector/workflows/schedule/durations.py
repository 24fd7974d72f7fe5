"""ISO 8601 durations as Logic Apps writes them (``PT20S``, ``PT1H``, ``P1D``, ``P1DT12H``).

Parsing is ``isodate``'s, behind a stricter gate: only the designator form ``PnYnMnWnDTnHnMnS``
(at least one component; a fraction allowed, ``.`` or ``,``), no sign, no alternative form
``P0001-02-03T…``, no empty ``PT``. Years and months have no fixed length; like .NET's
``XmlConvert.ToTimeSpan``, which the runtime is built on, a year counts as 365 days and a month
as 30 days [inferred: not confirmed against the runtime].
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import isodate

from smtp_connector.workflows.schedule.errors import DurationError

MAX_DURATION = timedelta(days=36_500)
"""About a century: longer than any timeout, interval or delay the engine accepts."""

DAYS_PER_YEAR = 365
DAYS_PER_MONTH = 30

_MAX_TEXT = 40
_NUMBER = r"[0-9]+(?:[.,][0-9]+)?"
_FORM = re.compile(
    rf"P(?=[0-9]|T[0-9])(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}W)?(?:{_NUMBER}D)?"
    rf"(?:T(?=[0-9])(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?"
)
_EXAMPLES = "such as PT30S, PT1H or P1D"


def parse_duration(text: object) -> timedelta:
    """The length of the ISO 8601 duration ``text``; raises ``DurationError``.

    Refused: anything but a string in the designator form, a negative duration, and a duration
    longer than ``MAX_DURATION``.
    """
    if not isinstance(text, str):
        raise DurationError(f"a duration must be text {_EXAMPLES}")
    shown = text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "…"
    if text.startswith("-"):
        raise DurationError(f"the duration '{shown}' is negative; durations count forward")
    if len(text) > _MAX_TEXT or not _FORM.fullmatch(text):
        raise DurationError(f"'{shown}' is not an ISO 8601 duration {_EXAMPLES}")
    too_long = DurationError(f"the duration '{shown}' is too long (at most 100 years)")
    try:
        parsed = isodate.parse_duration(text)
    except isodate.ISO8601Error as exc:
        raise DurationError(f"'{shown}' is not an ISO 8601 duration {_EXAMPLES}") from exc
    except (OverflowError, ValueError) as exc:
        raise too_long from exc
    if isinstance(parsed, isodate.Duration):
        days = Decimal(parsed.years) * DAYS_PER_YEAR + Decimal(parsed.months) * DAYS_PER_MONTH
        if days > MAX_DURATION.days:
            raise too_long
        parsed = parsed.tdelta + timedelta(days=float(days))
    if not isinstance(parsed, timedelta) or parsed > MAX_DURATION:
        raise too_long
    return parsed
