"""Firing a trigger: its ``conditions`` and ``splitOn`` decide how many runs start (none, one,
or one per item), and what each run's trigger record holds."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from smtp_connector.workflows.definition.model import TriggerSpec
from smtp_connector.workflows.engine.rows import StoredRun
from smtp_connector.workflows.expressions import ExpressionError, StaticContext
from smtp_connector.workflows.statuses import Status
from smtp_connector.workflows.store import StoredWorkflow

MAX_SPLIT = 5000
"""Most runs one firing may start with ``splitOn``."""


@dataclass(frozen=True)
class Fired:
    runs: list[str]
    fired: bool
    response: asyncio.Future[dict[str, Any] | None] | None = None
    """Set when the run answers its caller (a Response action) and the caller should wait."""


@dataclass(frozen=True)
class FireFailed(Exception):
    """The trigger's conditions or splitOn could not be evaluated: the history says why."""

    message: str


def fresh_run(
    stored: StoredWorkflow, run_id: str, trigger: dict[str, Any], now: datetime
) -> StoredRun:
    """The row of a run this process has just committed and holds: nothing to read back."""
    return StoredRun(
        run_id,
        stored.name,
        stored.version,
        Status.RUNNING,
        None,
        None,
        trigger,
        {},
        None,
        False,
        1,
        now,
        now,
        None,
        now,
    )


def prepare_runs(
    spec: TriggerSpec, record: dict[str, Any], history: dict[str, Any]
) -> list[dict[str, Any]]:
    """The trigger records of the runs one firing starts (none when a condition is false,
    one per item with ``splitOn``); ``history`` gets the status (and the error)."""
    try:
        records = _split(spec, record) if _conditions_hold(spec, record) else []
    except FireFailed as failure:
        history.update(
            status=Status.FAILED.value,
            code="InvalidTemplate",
            error={"code": "InvalidTemplate", "message": failure.message},
        )
        return []
    history["status"] = Status.SUCCEEDED.value if records else Status.SKIPPED.value
    return records


def _context(record: Mapping[str, Any]) -> StaticContext:
    return StaticContext(trigger_record=dict(record))


def _conditions_hold(spec: TriggerSpec, record: dict[str, Any]) -> bool:
    compiled = spec.compiled.get("conditions")
    if compiled is None:
        return True
    try:
        conditions = compiled.evaluate(_context(record))
    except ExpressionError as exc:
        raise FireFailed(exc.message) from exc
    if not isinstance(conditions, list):
        return True
    return all(isinstance(c, Mapping) and c.get("expression") is True for c in conditions)


def _split(spec: TriggerSpec, record: dict[str, Any]) -> list[dict[str, Any]]:
    compiled = spec.compiled.get("splitOn")
    if compiled is None:
        return [record]
    try:
        items = compiled.evaluate(_context(record))
    except ExpressionError as exc:
        raise FireFailed(exc.message) from exc
    if not isinstance(items, list):
        raise FireFailed(
            f"The trigger's splitOn expression '{spec.raw.get('splitOn')}' must give an "
            f"array, not {type(items).__name__}."
        )
    if len(items) > MAX_SPLIT:
        raise FireFailed(f"splitOn gave {len(items)} items; at most {MAX_SPLIT} are allowed.")
    outputs = record["outputs"]
    return [{**record, "outputs": {**outputs, "body": item}} for item in items]
