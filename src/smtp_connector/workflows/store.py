"""Workflows in the database: the saved documents with their versions, state and access key,
and the read side of runs, action records and trigger histories."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smtp_connector.errors import RunNotFound, WorkflowNotFound
from smtp_connector.outbox.base import OutboxBase
from smtp_connector.store.db import Database
from smtp_connector.store.secrets import SecretBox
from smtp_connector.store.workflow_tables import (
    ActionRecordRow,
    RunRow,
    TriggerHistoryRow,
    TriggerStateRow,
    WorkflowRow,
    WorkflowVersionRow,
)
from smtp_connector.workflows.engine.records import ActionResult
from smtp_connector.workflows.engine.rows import StoredRun, result_from_row, run_from_row

ENABLED = "Enabled"
DISABLED = "Disabled"

Clocks = Callable[[datetime, datetime], Mapping[str, datetime | None]]
"""``(now, enabled_at)`` -> the first tick of each scheduled trigger of the workflow."""


def _set_clocks(
    session: Session,
    row: WorkflowRow,
    clocks: Clocks | None,
    now: datetime,
    watermarks: Mapping[str, dict[str, Any]] | None = None,
) -> None:
    """Keep one ``workflow_triggers`` row per scheduled trigger; a disabled workflow's have no
    next tick (enabling it again starts from then, without replaying what it missed). A
    polling trigger starts from its ``watermarks`` entry when it is new or the workflow was
    enabled in this transaction (records from before that never fire)."""
    just_enabled = row.state == ENABLED and row.enabled_at == now
    wanted: Mapping[str, datetime | None] = {}
    if clocks is not None:
        wanted = clocks(now, row.enabled_at or now)
    existing = {
        r.trigger: r
        for r in session.scalars(
            select(TriggerStateRow).where(TriggerStateRow.workflow == row.name)
        )
    }
    for name, state in existing.items():
        if name not in wanted:
            session.delete(state)
    for name, first in wanted.items():
        found = existing.get(name)
        if found is None:
            state = TriggerStateRow(workflow=row.name, trigger=name)
            session.add(state)
        else:
            state = found
        start = (watermarks or {}).get(name)
        if start is not None and (found is None or just_enabled or found.watermark is None):
            state.watermark = start
        if row.state != ENABLED:
            state.next_run_at = None
        elif state.next_run_at is None or state.next_run_at > now or first is None:
            state.next_run_at = first


@dataclass(frozen=True)
class StoredWorkflow:
    name: str
    version: int
    state: str
    definition: dict[str, Any]
    parameters: dict[str, Any]
    extra: dict[str, Any]
    created_at: datetime
    changed_at: datetime
    enabled_at: datetime | None

    @property
    def enabled(self) -> bool:
        return self.state == ENABLED


@dataclass(frozen=True)
class HistoryEntry:
    id: str
    trigger: str
    status: str
    code: str | None
    error: dict[str, Any] | None
    fired: bool
    runs: list[str]
    scheduled_at: datetime | None
    started_at: datetime
    ended_at: datetime
    records: int | None = None
    """A poll's new records (polling triggers only)."""


def _workflow(row: WorkflowRow, version: WorkflowVersionRow) -> StoredWorkflow:
    return StoredWorkflow(
        row.name,
        row.version,
        row.state,
        version.definition,
        version.parameters,
        version.extra,
        row.created_at,
        row.changed_at,
        row.enabled_at,
    )


class WorkflowStore(OutboxBase):
    def __init__(self, db: Database, box: SecretBox) -> None:
        super().__init__(db)
        self._box = box

    def _row(self, session: Session, name: str) -> WorkflowRow:
        row = session.get(WorkflowRow, name)
        if row is None:
            raise WorkflowNotFound(name)
        return row

    def put(
        self,
        name: str,
        definition: dict[str, Any],
        parameters: dict[str, Any],
        state: str,
        extra: dict[str, Any],
        clocks: Clocks | None = None,
        watermarks: Mapping[str, dict[str, Any]] | None = None,
    ) -> tuple[StoredWorkflow, bool]:
        """Create or replace; a replacement is a new version (runs keep theirs). Returns the
        workflow and whether it was created."""

        def unit(session: Session) -> tuple[StoredWorkflow, bool]:
            now = self._now(session, None)
            row = session.get(WorkflowRow, name)
            created = row is None
            if row is None:
                row = WorkflowRow(
                    name=name,
                    version=0,
                    state=state,
                    created_at=now,
                    changed_at=now,
                    access_key_encrypted=self._box.encrypt(secrets.token_urlsafe(32)),
                )
                session.add(row)
            if state == ENABLED and (row.state != ENABLED or row.enabled_at is None):
                row.enabled_at = now
            row.version += 1
            row.state = state
            row.changed_at = now
            version = WorkflowVersionRow(
                workflow=name,
                version=row.version,
                definition=definition,
                parameters=parameters,
                extra=extra,
                created_at=now,
            )
            session.add(version)
            session.flush()
            _set_clocks(session, row, clocks, now, watermarks)
            return _workflow(row, version), created

        return self._write(unit)

    def get(self, name: str) -> StoredWorkflow:
        with self._reading() as session:
            row = self._row(session, name)
            version = session.get(WorkflowVersionRow, (name, row.version))
            assert version is not None
            return _workflow(row, version)

    def get_in(self, session: Session, row: WorkflowRow) -> StoredWorkflow:
        """The saved workflow of ``row``, read in the caller's transaction."""
        version = session.get(WorkflowVersionRow, (row.name, row.version))
        assert version is not None
        return _workflow(row, version)

    def version(self, name: str, number: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """The definition and parameters of one saved version."""
        with self._reading() as session:
            version = session.get(WorkflowVersionRow, (name, number))
            if version is None:
                raise WorkflowNotFound(name)
            return version.definition, version.parameters

    def all(self) -> list[StoredWorkflow]:
        with self._reading() as session:
            rows = session.execute(
                select(WorkflowRow, WorkflowVersionRow)
                .join(
                    WorkflowVersionRow,
                    (WorkflowVersionRow.workflow == WorkflowRow.name)
                    & (WorkflowVersionRow.version == WorkflowRow.version),
                )
                .order_by(WorkflowRow.name)
            ).all()
            return [_workflow(row, version) for row, version in rows]

    def delete(self, name: str) -> None:
        """Delete the workflow with its versions, runs and histories."""

        def unit(session: Session) -> None:
            row = self._row(session, name)
            run_ids = select(RunRow.id).where(RunRow.workflow == name)
            session.query(ActionRecordRow).filter(ActionRecordRow.run.in_(run_ids)).delete(
                synchronize_session=False
            )
            session.query(RunRow).filter(RunRow.workflow == name).delete(synchronize_session=False)
            for table in (TriggerHistoryRow, TriggerStateRow, WorkflowVersionRow):
                session.query(table).filter(table.workflow == name).delete(
                    synchronize_session=False
                )
            session.delete(row)

        self._write(unit)

    def set_state(
        self,
        name: str,
        state: str,
        clocks: Clocks | None = None,
        watermarks: Mapping[str, dict[str, Any]] | None = None,
    ) -> StoredWorkflow:
        def unit(session: Session) -> StoredWorkflow:
            row = self._row(session, name)
            now = self._now(session, None)
            if state == ENABLED and row.state != ENABLED:
                row.enabled_at = now
            row.state = state
            row.changed_at = now
            _set_clocks(session, row, clocks, now, watermarks)
            version = session.get(WorkflowVersionRow, (name, row.version))
            assert version is not None
            return _workflow(row, version)

        return self._write(unit)

    def watermark(self, name: str, trigger: str) -> dict[str, Any] | None:
        """A polling trigger's watermark (None before its first start)."""
        with self._reading() as session:
            state = session.get(TriggerStateRow, (name, trigger))
            return dict(state.watermark) if state is not None and state.watermark else None

    def access_key(self, name: str) -> str:
        with self._reading() as session:
            return self._box.decrypt(self._row(session, name).access_key_encrypted)

    def regenerate_access_key(self, name: str) -> None:
        def unit(session: Session) -> None:
            self._row(session, name).access_key_encrypted = self._box.encrypt(
                secrets.token_urlsafe(32)
            )

        self._write(unit)

    # The read side of runs.

    def runs(
        self, name: str, *, status: str | None, after: str | None, limit: int
    ) -> list[StoredRun]:
        """Newest first (run ids sort that way); ``after`` is the last id of the previous page."""
        with self._reading() as session:
            self._row(session, name)
            query = select(RunRow).where(RunRow.workflow == name)
            if status is not None:
                query = query.where(RunRow.status == status)
            if after is not None:
                query = query.where(RunRow.id > after)
            rows = session.scalars(query.order_by(RunRow.id).limit(limit)).all()
            return [run_from_row(row) for row in rows]

    def run(self, name: str, run_id: str) -> StoredRun:
        with self._reading() as session:
            row = session.get(RunRow, run_id)
            if row is None or row.workflow != name:
                raise RunNotFound(name, run_id)
            return run_from_row(row)

    def actions(self, name: str, run_id: str) -> list[ActionResult]:
        with self._reading() as session:
            row = session.get(RunRow, run_id)
            if row is None or row.workflow != name:
                raise RunNotFound(name, run_id)
            records = session.scalars(
                select(ActionRecordRow)
                .where(ActionRecordRow.run == run_id)
                .order_by(ActionRecordRow.seq, ActionRecordRow.repetition)
            ).all()
            return [result_from_row(r) for r in records]

    def histories(self, name: str, trigger: str, limit: int) -> list[HistoryEntry]:
        with self._reading() as session:
            self._row(session, name)
            rows = session.scalars(
                select(TriggerHistoryRow)
                .where(TriggerHistoryRow.workflow == name, TriggerHistoryRow.trigger == trigger)
                .order_by(TriggerHistoryRow.id)
                .limit(limit)
            ).all()
            return [
                HistoryEntry(
                    r.id,
                    r.trigger,
                    r.status,
                    r.code,
                    r.error,
                    r.fired,
                    list(r.runs),
                    r.scheduled_at,
                    r.started_at,
                    r.ended_at,
                    r.records,
                )
                for r in rows
            ]
