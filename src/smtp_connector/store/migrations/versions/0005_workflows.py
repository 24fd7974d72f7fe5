"""Workflows: definitions with versions, runs with their action records, trigger clocks and
histories (``store/workflow_tables.py`` describes each table).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "workflows",
        sa.Column("name", sa.String(80), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("access_key_encrypted", sa.Text, nullable=False),
        sa.Column("enabled_at", _TIME),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("changed_at", _TIME, nullable=False),
    )
    op.create_table(
        "workflow_versions",
        sa.Column(
            "workflow",
            sa.String(80),
            sa.ForeignKey("workflows.name", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("extra", sa.JSON, nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("workflow", "version", name="pk_workflow_versions"),
    )
    op.create_table(
        "workflow_runs",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("workflow", sa.String(80), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("code", sa.String(64)),
        sa.Column("error", sa.JSON),
        sa.Column("trigger", sa.JSON, nullable=False),
        sa.Column("variables", sa.JSON, nullable=False),
        sa.Column("response", sa.JSON),
        sa.Column("outputs", sa.JSON),
        sa.Column("cancel_requested", sa.Boolean, nullable=False),
        sa.Column("due_at", _TIME),
        sa.Column("lease_owner", sa.String(128)),
        sa.Column("lease_expires_at", _TIME),
        sa.Column("lease_token", sa.String(32)),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("started_at", _TIME),
        sa.Column("ended_at", _TIME),
        sa.ForeignKeyConstraint(
            ["workflow", "version"],
            ["workflow_versions.workflow", "workflow_versions.version"],
            ondelete="CASCADE",
            name="fk_workflow_runs_version",
        ),
    )
    op.create_index("ix_workflow_runs_workflow_id", "workflow_runs", ["workflow", "id"])
    op.create_index("ix_workflow_runs_due", "workflow_runs", ["due_at"])
    op.create_index("ix_workflow_runs_ended_at", "workflow_runs", ["ended_at"])
    op.create_table(
        "workflow_run_actions",
        sa.Column(
            "run",
            sa.String(40),
            sa.ForeignKey("workflow_runs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("repetition", sa.String(255), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("code", sa.String(64)),
        sa.Column("error", sa.JSON),
        sa.Column("inputs", sa.JSON),
        sa.Column("outputs", sa.JSON),
        sa.Column("state", sa.JSON),
        sa.Column("retry_history", sa.JSON),
        sa.Column("started_at", _TIME),
        sa.Column("ended_at", _TIME),
        sa.PrimaryKeyConstraint("run", "name", "repetition", name="pk_workflow_run_actions"),
    )
    op.create_table(
        "workflow_triggers",
        sa.Column(
            "workflow",
            sa.String(80),
            sa.ForeignKey("workflows.name", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("trigger", sa.String(80), nullable=False),
        sa.Column("next_run_at", _TIME),
        sa.Column("last_run_at", _TIME),
        sa.Column("watermark", sa.JSON),
        sa.PrimaryKeyConstraint("workflow", "trigger", name="pk_workflow_triggers"),
    )
    op.create_index("ix_workflow_triggers_next_run_at", "workflow_triggers", ["next_run_at"])
    op.create_table(
        "workflow_trigger_histories",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "workflow",
            sa.String(80),
            sa.ForeignKey("workflows.name", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("trigger", sa.String(80), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("code", sa.String(64)),
        sa.Column("error", sa.JSON),
        sa.Column("fired", sa.Boolean, nullable=False),
        sa.Column("runs", sa.JSON, nullable=False),
        sa.Column("scheduled_at", _TIME),
        sa.Column("started_at", _TIME, nullable=False),
        sa.Column("ended_at", _TIME, nullable=False),
    )
    op.create_index(
        "ix_workflow_trigger_histories_trigger",
        "workflow_trigger_histories",
        ["workflow", "trigger", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_workflow_trigger_histories_trigger", table_name="workflow_trigger_histories")
    op.drop_table("workflow_trigger_histories")
    op.drop_index("ix_workflow_triggers_next_run_at", table_name="workflow_triggers")
    op.drop_table("workflow_triggers")
    op.drop_table("workflow_run_actions")
    op.drop_index("ix_workflow_runs_ended_at", table_name="workflow_runs")
    op.drop_index("ix_workflow_runs_due", table_name="workflow_runs")
    op.drop_index("ix_workflow_runs_workflow_id", table_name="workflow_runs")
    op.drop_table("workflow_runs")
    op.drop_table("workflow_versions")
    op.drop_table("workflows")
