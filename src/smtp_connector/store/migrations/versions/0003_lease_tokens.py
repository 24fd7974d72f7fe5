"""Leases fenced by a per-claim token; a send gate per rate-limited connection.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable columns: a plain ALTER TABLE ADD COLUMN on both engines. A message leased under
    # the old scheme has no token: its holder cannot report on it, so it is taken over as soon
    # as its lease expires, like a dead worker's.
    op.add_column("messages", sa.Column("lease_token", sa.String(32)))
    op.add_column("rate_limits", sa.Column("gate_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("rate_limits") as batch:
        batch.drop_column("gate_at")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("lease_token")
