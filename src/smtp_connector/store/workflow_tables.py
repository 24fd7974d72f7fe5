"""Tables of the workflow engine (migration 0005): definitions, runs, action records, triggers.

A workflow's definition is kept as the JSON the user saved (unknown keys included); every save
adds a version, and a run executes the version it started with. A run is leased like an outbox
message: ``due_at`` says when it may be taken (NULL once finished), ``lease_owner`` and
``lease_expires_at`` who holds it and until when, ``lease_token`` fences a holder that lost it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from smtp_connector.store.models import Base, UtcDateTime

NAME = 80
"""Longest workflow, trigger or action name (Logic Apps allows 80 characters)."""


class WorkflowRow(Base):
    __tablename__ = "workflows"

    name: Mapped[str] = mapped_column(String(NAME), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    """``Enabled`` or ``Disabled``."""
    access_key_encrypted: Mapped[str] = mapped_column(Text, nullable=False)
    """The key that signs callback URLs (Fernet token); regenerating it voids old URLs."""
    enabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class WorkflowVersionRow(Base):
    __tablename__ = "workflow_versions"
    __table_args__ = (PrimaryKeyConstraint("workflow", "version", name="pk_workflow_versions"),)

    workflow: Mapped[str] = mapped_column(
        String(NAME), ForeignKey("workflows.name", ondelete="CASCADE"), nullable=False
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    """Keys of the saved document other than definition, parameters and state, kept as given."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class RunRow(Base):
    __tablename__ = "workflow_runs"
    __table_args__ = (
        ForeignKeyConstraint(
            ["workflow", "version"],
            ["workflow_versions.workflow", "workflow_versions.version"],
            ondelete="CASCADE",
            name="fk_workflow_runs_version",
        ),
        Index("ix_workflow_runs_workflow_id", "workflow", "id"),
        Index("ix_workflow_runs_due", "due_at"),
        Index("ix_workflow_runs_ended_at", "ended_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    """Sorts newest first (the reversed start time, then random digits), like Logic Apps'."""
    workflow: Mapped[str] = mapped_column(String(NAME), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    code: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    trigger: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    """The trigger record: name, outputs, startTime, endTime, scheduledTime, status, code."""
    variables: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    """Name -> ``{"name", "type", "value"}``, written with each action that changes one."""
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The Response action's ``{statusCode, headers, body}``, once it ran."""
    outputs: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lease_token: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    """How many times a process has taken this run (1 when nothing went wrong)."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ActionRecordRow(Base):
    """One execution of one action; inside loops, one per repetition (``repetition`` is the
    path of loop indexes, ``""`` outside any loop)."""

    __tablename__ = "workflow_run_actions"
    __table_args__ = (
        PrimaryKeyConstraint("run", "name", "repetition", name="pk_workflow_run_actions"),
    )

    run: Mapped[str] = mapped_column(
        String(40), ForeignKey("workflow_runs.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(NAME), nullable=False)
    repetition: Mapped[str] = mapped_column(String(255), nullable=False)
    seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    """Order of first recording, for listings."""
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    code: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    inputs: Mapped[Any] = mapped_column(JSON)
    outputs: Mapped[Any] = mapped_column(JSON)
    state: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """What a control action decided (a branch, loop items, a timer), kept for a resume."""
    retry_history: Mapped[list[Any] | None] = mapped_column(JSON)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class TriggerStateRow(Base):
    """A polled or scheduled trigger's clock: the next tick and the last firing."""

    __tablename__ = "workflow_triggers"
    __table_args__ = (
        PrimaryKeyConstraint("workflow", "trigger", name="pk_workflow_triggers"),
        Index("ix_workflow_triggers_next_run_at", "next_run_at"),
    )

    workflow: Mapped[str] = mapped_column(
        String(NAME), ForeignKey("workflows.name", ondelete="CASCADE"), nullable=False
    )
    trigger: Mapped[str] = mapped_column(String(NAME), nullable=False)
    next_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    watermark: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """What a poller has already seen (a keyset position), advanced with the runs it starts."""


class TriggerHistoryRow(Base):
    """One firing or poll of a trigger; ``runs`` are the runs it started (several with
    ``splitOn``)."""

    __tablename__ = "workflow_trigger_histories"
    __table_args__ = (Index("ix_workflow_trigger_histories_trigger", "workflow", "trigger", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workflow: Mapped[str] = mapped_column(
        String(NAME), ForeignKey("workflows.name", ondelete="CASCADE"), nullable=False
    )
    trigger: Mapped[str] = mapped_column(String(NAME), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    code: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    fired: Mapped[bool] = mapped_column(Boolean, nullable=False)
    runs: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    scheduled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    ended_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    records: Mapped[int | None] = mapped_column(Integer)
    """A poll's new records (migration 0006); NULL for triggers that do not poll."""
