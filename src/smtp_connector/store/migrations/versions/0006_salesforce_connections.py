"""Salesforce connections (``store/salesforce_tables.py`` describes the table), and the count
of new records in a polling trigger's history entries.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "salesforce_connections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("login_url", sa.String(2048), nullable=False),
        sa.Column("grant_type", sa.String(32), nullable=False),
        sa.Column("client_id", sa.String(512), nullable=False),
        sa.Column("username", sa.String(512)),
        sa.Column("api_version", sa.String(16), nullable=False),
        sa.Column("timeout_seconds", sa.Float, nullable=False),
        sa.Column("client_secret_encrypted", sa.Text),
        sa.Column("password_encrypted", sa.Text),
        sa.Column("security_token_encrypted", sa.Text),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
    )
    with op.batch_alter_table("workflow_trigger_histories") as batch:
        batch.add_column(sa.Column("records", sa.Integer))


def downgrade() -> None:
    with op.batch_alter_table("workflow_trigger_histories") as batch:
        batch.drop_column("records")
    op.drop_table("salesforce_connections")
