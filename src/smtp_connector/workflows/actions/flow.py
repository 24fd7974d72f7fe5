"""Response (answer the Request trigger's caller), Terminate (end the run), Wait (a timer)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from smtp_connector.store.models import as_utc
from smtp_connector.workflows.actions.base import (
    Outcome,
    Step,
    Suspend,
    Terminate,
    failed,
    field,
    succeeded,
)
from smtp_connector.workflows.statuses import Status


async def response(step: Step) -> Outcome:
    status = field(step.inputs, "statusCode")
    try:
        code = int(status)
    except (TypeError, ValueError):
        code = 0
    if not 100 <= code <= 599:
        return failed(
            "BadRequest",
            "InvalidResponseStatusCode",
            f"The response status code '{status}' is not valid: use 100 to 599.",
        )
    headers = field(step.inputs, "headers") or {}
    if not isinstance(headers, dict) or not all(
        isinstance(v, str | int | float) for v in headers.values()
    ):
        return failed("BadRequest", "InvalidResponseHeaders", "Headers must be text values.")
    answer = {
        "statusCode": code,
        "headers": {str(k): str(v) for k, v in headers.items()},
        "body": field(step.inputs, "body"),
    }
    if step.ctx.state.response_sent:
        return failed(
            "BadRequest",
            "ActionResponseAlreadySent",
            "The response for this workflow run has already been sent.",
        )
    return succeeded(None, response=answer)


async def terminate(step: Step) -> Outcome:
    text = str(field(step.inputs, "runStatus"))
    status = Status.parse(text) or Status.FAILED
    error = None
    if status is Status.FAILED:
        run_error = field(step.inputs, "runError")
        if isinstance(run_error, dict):
            error = {
                "code": str(run_error.get("code") or "Terminated"),
                "message": str(run_error.get("message") or ""),
            }
        else:
            error = {"code": "Terminated", "message": "The run was terminated with status Failed."}
    raise Terminate(status, error)


_UNITS: dict[str, Callable[[int], timedelta | relativedelta]] = {
    "second": lambda n: timedelta(seconds=n),
    "minute": lambda n: timedelta(minutes=n),
    "hour": lambda n: timedelta(hours=n),
    "day": lambda n: timedelta(days=n),
    "week": lambda n: timedelta(weeks=n),
    "month": lambda n: relativedelta(months=n),
}


def _parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        return None


async def wait(step: Step) -> Outcome:
    """Durable: the wake time is fixed on the first pass and kept in the record's state."""
    now = step.ctx.now()
    previous = step.previous.state if step.previous and step.previous.state else None
    wake = _parse_time(previous.get("wakeAt")) if previous else None
    if wake is None:
        interval, until = field(step.inputs, "interval"), field(step.inputs, "until")
        if isinstance(interval, dict):
            count = interval.get("count")
            unit = str(interval.get("unit", "")).casefold()
            if (
                not isinstance(count, int)
                or isinstance(count, bool)
                or count < 0
                or (unit not in _UNITS)
            ):
                return failed("BadRequest", "InvalidWaitInterval", "count and unit are not valid")
            wake = as_utc(now + _UNITS[unit](count))
        else:
            wake = _parse_time(field(until, "timestamp"))
            if wake is None:
                return failed(
                    "BadRequest", "InvalidWaitTimestamp", "until.timestamp is not an ISO 8601 time"
                )
    if wake > now:
        raise Suspend(wake, {"wakeAt": wake.isoformat()})
    return succeeded(None, code="OK", state={"wakeAt": wake.isoformat()})
