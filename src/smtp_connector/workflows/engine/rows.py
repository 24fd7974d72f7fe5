"""A run's row and its action records as values, and the lease that names a held run."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult

from smtp_connector.store.workflow_tables import ActionRecordRow, RunRow
from smtp_connector.workflows.engine.records import ActionResult
from smtp_connector.workflows.statuses import Status

_TICKS_CEILING = 10**20


def changed_rows(result: Any) -> int:
    """Rows an UPDATE changed."""
    return int(cast(CursorResult[Any], result).rowcount)


def new_run_id(now: datetime) -> str:
    """Newest sorts first: 20 digits of reversed 100-ns ticks, then random digits and ``CU``."""
    ticks = int(now.timestamp() * 10_000_000)
    return f"{_TICKS_CEILING - ticks:020d}{secrets.randbelow(10**10):010d}CU"


class LeaseLost(Exception):
    """Another process has taken the run over; this one must stop working on it."""


@dataclass(frozen=True)
class RunLease:
    run: str
    token: str


@dataclass(frozen=True)
class NewRun:
    trigger: dict[str, Any]
    """The trigger record (name, outputs, times, status) the run starts from."""


@dataclass(frozen=True)
class StoredRun:
    id: str
    workflow: str
    version: int
    status: Status
    code: str | None
    error: dict[str, Any] | None
    trigger: dict[str, Any]
    variables: dict[str, Any]
    response: dict[str, Any] | None
    cancel_requested: bool
    attempts: int
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    due_at: datetime | None
    outputs: dict[str, Any] | None = None
    """The definition's ``outputs``, evaluated when the run ended."""


def run_from_row(row: RunRow) -> StoredRun:
    return StoredRun(
        row.id,
        row.workflow,
        row.version,
        Status(row.status),
        row.code,
        row.error,
        row.trigger,
        row.variables or {},
        row.response,
        row.cancel_requested,
        row.attempts,
        row.created_at,
        row.started_at,
        row.ended_at,
        row.due_at,
        row.outputs,
    )


def result_from_row(row: ActionRecordRow) -> ActionResult:
    return ActionResult(
        row.name,
        row.repetition,
        Status(row.status),
        row.code,
        row.error,
        row.inputs,
        row.outputs,
        row.started_at,
        row.ended_at,
        row.state,
        list(row.retry_history or []),
    )
