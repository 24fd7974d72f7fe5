"""Runs in the database: create (with the trigger's history), claim, record, finish, read.

The values it reads and writes (``StoredRun``, ``RunLease``, ``NewRun``) are in ``rows.py``.

The lease discipline is the outbox's: a run is taken with a fresh token and a lease that its
process renews; every write about the run names the token and changes nothing once another
process took the run over (``LeaseLost``). Leases and due times use the database's clock.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import JSON, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from smtp_connector.errors import RunNotFound
from smtp_connector.outbox.base import OutboxBase
from smtp_connector.store.models import UtcDateTime
from smtp_connector.store.workflow_tables import ActionRecordRow, RunRow, TriggerHistoryRow
from smtp_connector.workflows.engine.records import ActionResult
from smtp_connector.workflows.engine.rows import (
    LeaseLost,
    NewRun,
    RunLease,
    StoredRun,
    changed_rows,
    new_run_id,
    result_from_row,
    run_from_row,
)
from smtp_connector.workflows.expressions.values import plain_json
from smtp_connector.workflows.statuses import Status

T = TypeVar("T")


_RUNS = cast(Table, RunRow.__table__)
_FINISH = (
    update(_RUNS)
    .where(_RUNS.c.id == bindparam("run"), _RUNS.c.lease_token == bindparam("token"))
    .values(
        status=bindparam("status"),
        code=bindparam("code"),
        error=bindparam("error", type_=JSON),
        due_at=bindparam("due_at", type_=UtcDateTime),
        ended_at=bindparam("ended_at", type_=UtcDateTime),
        outputs=bindparam("outputs", type_=JSON(none_as_null=True)),
        lease_owner=None,
        lease_token=None,
        lease_expires_at=None,
    )
)
"""End a run (or put it to sleep), fenced by its lease token; built once, on the table rather
than the mapped class (the ORM's bulk update path cost four times the statement)."""

_INSERT_RUNS = insert(_RUNS)
_INSERT_HISTORY = insert(cast(Table, TriggerHistoryRow.__table__))
"""The rows of a firing, inserted as plain rows: ``session.add`` of mapped objects cost more
than twice as much per row."""

_HELD = (
    select(func.count())
    .select_from(RunRow)
    .where(RunRow.id == bindparam("run"), RunRow.lease_token == bindparam("token"))
)
"""Whether the lease still holds the run."""

_RECORD_FIELDS = (
    "status",
    "code",
    "error",
    "inputs",
    "outputs",
    "state",
    "retry_history",
    "started_at",
    "ended_at",
)
"""What a later write of an action's record changes (not its place in the listing, ``seq``)."""


class RunStore(OutboxBase):
    """Runs, their action records and trigger histories."""

    _upsert_statement: Any = None

    async def transaction(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in a write transaction (of the group commit) from a coroutine."""
        return await self._write_async(work)

    def clock(self, session: Session) -> datetime:
        return self._now(session, None)

    @property
    def dialect(self) -> str:
        return self._db.dialect

    def creation(
        self,
        workflow: str,
        version: int,
        runs: Sequence[NewRun],
        history: dict[str, Any] | None,
        owner: str | None,
        lease_seconds: float,
    ) -> Callable[[Session], tuple[list[str], list[RunLease]]]:
        def unit(session: Session) -> tuple[list[str], list[RunLease]]:
            now = self._now(session, None)
            ids: list[str] = []
            leases: list[RunLease] = []
            rows: list[dict[str, Any]] = []
            for run in runs:
                run_id = new_run_id(now)
                token = secrets.token_hex(16) if owner else None
                rows.append(
                    {
                        "id": run_id,
                        "workflow": workflow,
                        "version": version,
                        "status": Status.RUNNING.value,
                        "trigger": plain_json(run.trigger),
                        "variables": {},
                        "cancel_requested": False,
                        "due_at": now,
                        "lease_owner": owner,
                        "lease_token": token,
                        "lease_expires_at": (
                            now + timedelta(seconds=lease_seconds) if owner else None
                        ),
                        "attempts": 1 if owner else 0,
                        "created_at": now,
                        "started_at": now if owner else None,
                    }
                )
                ids.append(run_id)
                if token:
                    leases.append(RunLease(run_id, token))
            connection = session.connection()
            if rows:
                connection.execute(_INSERT_RUNS, rows)
            if history is None:  # a resubmitted run: no trigger fired
                return ids, leases
            entry = {
                "id": new_run_id(now),
                "workflow": workflow,
                "runs": ids,
                "fired": bool(ids),
                "started_at": history.get("startedAt", now),
                "ended_at": now,
                "status": history.get("status", Status.SUCCEEDED.value),
                "code": history.get("code"),
                "error": history.get("error"),
                "trigger": history["trigger"],
                "scheduled_at": history.get("scheduledAt"),
                "records": history.get("records"),
            }
            # None left out: the column is SQL NULL (a JSON column given None holds ``null``).
            connection.execute(_INSERT_HISTORY, {k: v for k, v in entry.items() if v is not None})
            return ids, leases

        return unit

    def create(
        self,
        workflow: str,
        version: int,
        runs: Sequence[NewRun],
        history: dict[str, Any] | None,
        *,
        owner: str | None,
        lease_seconds: float,
    ) -> tuple[list[str], list[RunLease]]:
        """Commit ``runs`` and the trigger history entry that started them, in one transaction;
        returns their ids and, with ``owner``, their leases.

        With ``owner`` the runs are leased to it at once (the process that fired the trigger
        runs them); without, any worker may take them. ``history`` holds ``trigger`` and may
        hold ``startedAt``, ``scheduledAt``, ``status``, ``code`` and ``error``.
        """
        return self._write(self.creation(workflow, version, runs, history, owner, lease_seconds))

    async def create_async(
        self,
        workflow: str,
        version: int,
        runs: Sequence[NewRun],
        history: dict[str, Any] | None,
        *,
        owner: str | None,
        lease_seconds: float,
    ) -> tuple[list[str], list[RunLease]]:
        """``create`` from a coroutine, through the group commit."""
        return await self._write_async(
            self.creation(workflow, version, runs, history, owner, lease_seconds)
        )

    def claim(self, owner: str, limit: int, lease_seconds: float) -> list[tuple[StoredRun, str]]:
        """Lease up to ``limit`` runs that are due and not held (or whose holder's lease ran
        out) to ``owner``; each with its fresh token."""

        def unit(session: Session) -> list[tuple[StoredRun, str]]:
            now = self._now(session, None)
            query = (
                select(RunRow.id)
                .where(RunRow.due_at <= now)
                .where((RunRow.lease_expires_at.is_(None)) | (RunRow.lease_expires_at < now))
                .order_by(RunRow.due_at)
                .limit(limit)
            )
            if self._db.dialect == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = list(session.scalars(query))
            claimed: list[tuple[StoredRun, str]] = []
            for run_id in ids:
                token = secrets.token_hex(16)
                row = session.get(RunRow, run_id)
                assert row is not None
                row.lease_owner, row.lease_token = owner, token
                row.lease_expires_at = now + timedelta(seconds=lease_seconds)
                row.attempts += 1
                row.started_at = row.started_at or now
                if row.status == Status.WAITING.value:
                    row.status = Status.RUNNING.value
                claimed.append((run_from_row(row), token))
            return claimed

        return self._write(unit)

    def load(self, run_id: str) -> tuple[StoredRun, list[ActionResult]]:
        with self._reading() as session:
            row = session.get(RunRow, run_id)
            if row is None:
                raise RunNotFound("?", run_id)
            records = session.scalars(
                select(ActionRecordRow).where(ActionRecordRow.run == run_id)
            ).all()
            return run_from_row(row), [result_from_row(r) for r in records]

    def _upsert(self, table: Any) -> Any:
        """The dialect's ``INSERT`` with ``ON CONFLICT`` (SQLite 3.24+ and PostgreSQL)."""
        if self._db.dialect == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    def records(self, run_id: str) -> list[ActionResult]:
        """The run's action records (what a resumed run must not do again)."""
        with self._reading() as session:
            rows = session.scalars(select(ActionRecordRow).where(ActionRecordRow.run == run_id))
            return [result_from_row(r) for r in rows]

    async def record(
        self,
        lease: RunLease,
        results: Sequence[ActionResult],
        variables: dict[str, Any] | None,
        response: dict[str, Any] | None,
    ) -> None:
        """Save action records (and the run's variables or response with them), fenced: in one
        transaction, and only while ``lease`` holds the run."""

        def unit(session: Session) -> None:
            values: dict[str, Any] = {}
            if variables is not None:
                values["variables"] = plain_json(variables)
            if response is not None:
                values["response"] = plain_json(response)
            if values:
                changed = changed_rows(
                    session.execute(
                        update(RunRow)
                        .where(RunRow.id == lease.run, RunRow.lease_token == lease.token)
                        .values(**values)
                    )
                )
            else:
                changed = session.scalar(_HELD, {"run": lease.run, "token": lease.token}) or 0
            if not changed:
                raise LeaseLost(lease.run)
            self._write_records(session, lease.run, results)

        await self._write_async(unit)

    def _write_records(self, session: Session, run: str, results: Sequence[ActionResult]) -> None:
        """Insert or update the records in one statement (executed once per record)."""
        if not results:
            return
        stamp = time.time_ns() // 1000  # first recorded (kept when the record changes)
        rows = [
            {
                "run": run,
                "name": result.name,
                "repetition": result.repetition,
                "seq": stamp + index,
                "status": result.status.value,
                "code": result.code,
                "error": result.error,
                "inputs": plain_json(result.inputs),
                "outputs": plain_json(result.outputs),
                "state": plain_json(result.state),
                "retry_history": result.retry_history,
                "started_at": result.started_at,
                "ended_at": result.ended_at,
            }
            for index, result in enumerate(results)
        ]
        session.connection().execute(self._record_upsert(), rows)

    def _record_upsert(self) -> Any:
        """``INSERT ... ON CONFLICT (run, name, repetition) DO UPDATE`` of an action record,
        built once (building a statement costs more than running it)."""
        if self._upsert_statement is None:
            statement = self._upsert(ActionRecordRow.__table__)
            self._upsert_statement = statement.on_conflict_do_update(
                index_elements=["run", "name", "repetition"],
                set_={name: statement.excluded[name] for name in _RECORD_FIELDS},
            )
        return self._upsert_statement

    async def finish(
        self,
        lease: RunLease,
        status: Status,
        code: str | None,
        error: dict[str, Any] | None,
        wake_at: datetime | None = None,
        records: Sequence[ActionResult] = (),
        outputs: dict[str, Any] | None = None,
    ) -> None:
        """End the run (or, ``Waiting``, put it to sleep until ``wake_at``) and free it, with
        the action ``records`` not written yet and the definition's ``outputs``, in one
        transaction."""

        def unit(session: Session) -> None:
            now = self._now(session, None)
            waiting = status is Status.WAITING
            changed = changed_rows(
                session.connection().execute(
                    _FINISH,
                    {
                        "run": lease.run,
                        "token": lease.token,
                        "status": status.value,
                        "code": code,
                        "error": error,
                        "due_at": wake_at if waiting else None,
                        "ended_at": None if waiting else now,
                        "outputs": outputs,
                    },
                )
            )
            if not changed:
                raise LeaseLost(lease.run)
            self._write_records(session, lease.run, records)

        await self._write_async(unit)

    def extend(self, leases: Sequence[RunLease], lease_seconds: float) -> dict[str, bool]:
        """Renew the leases this process still holds: run id -> cancel requested."""

        def unit(session: Session) -> dict[str, bool]:
            now = self._now(session, None)
            held: dict[str, bool] = {}
            for lease in leases:
                changed = session.execute(
                    update(RunRow)
                    .where(RunRow.id == lease.run, RunRow.lease_token == lease.token)
                    .values(lease_expires_at=now + timedelta(seconds=lease_seconds))
                    .returning(RunRow.cancel_requested)
                ).scalar_one_or_none()
                if changed is not None:
                    held[lease.run] = bool(changed)
            return held

        return self._write(unit)

    def release(self, lease: RunLease) -> None:
        """Give the run back (shutting down): another process may take it at once."""

        def unit(session: Session) -> None:
            session.execute(
                update(RunRow)
                .where(RunRow.id == lease.run, RunRow.lease_token == lease.token)
                .values(lease_owner=None, lease_token=None, lease_expires_at=None)
            )

        self._write(unit)

    def request_cancel(self, workflow: str, run_id: str) -> StoredRun:
        """Ask a run to stop: a held run stops at its next action; a run nobody holds (waiting
        for a timer, or not yet taken) is cancelled here."""

        def unit(session: Session) -> StoredRun:
            now = self._now(session, None)
            row = session.get(RunRow, run_id)
            if row is None or row.workflow != workflow:
                raise RunNotFound(workflow, run_id)
            if row.ended_at is None:
                row.cancel_requested = True
                held = row.lease_expires_at is not None and row.lease_expires_at > now
                if not held:
                    row.status, row.code, row.ended_at, row.due_at = (
                        Status.CANCELLED.value,
                        "Cancelled",
                        now,
                        None,
                    )
            return run_from_row(row)

        return self._write(unit)

    def purge(self, before: datetime) -> int:
        """Delete runs, and trigger history entries, that ended before ``before`` (retention),
        a bounded batch of each; returns how many runs."""

        def unit(session: Session) -> int:
            ids = list(
                session.scalars(select(RunRow.id).where(RunRow.ended_at < before).limit(500))
            )
            if ids:
                session.execute(delete(ActionRecordRow).where(ActionRecordRow.run.in_(ids)))
                session.execute(delete(RunRow).where(RunRow.id.in_(ids)))
            # A poll every second leaves 86,400 entries a day: a larger batch for these.
            old = select(TriggerHistoryRow.id).where(TriggerHistoryRow.ended_at < before)
            entries = list(session.scalars(old.limit(5000)))
            if entries:
                session.execute(delete(TriggerHistoryRow).where(TriggerHistoryRow.id.in_(entries)))
            return len(ids)

        return self._write(unit)
