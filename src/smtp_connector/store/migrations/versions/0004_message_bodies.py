"""Message bytes in a table of their own, written once.

A message's row is written again at each claim and each outcome, and SQLite rewrites a whole
row, its large values included, whenever one column changes: every message's bytes were written
three times or more, and each commit flushed them again. In ``message_bodies`` they are written
once. (PostgreSQL already kept them out of line, in TOAST, untouched by those updates.)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The bytes wait in a table without a foreign key while the column is dropped: on SQLite
    # that rebuilds ``messages``, and dropping the old table would cascade to a referencing one.
    op.create_table(
        "message_bodies_moving",
        sa.Column("message_id", sa.String(40), primary_key=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )
    op.execute("INSERT INTO message_bodies_moving (message_id, data) SELECT id, data FROM messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("data")
    op.create_table(
        "message_bodies",
        sa.Column(
            "message_id",
            sa.String(40),
            sa.ForeignKey("messages.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )
    op.execute(
        "INSERT INTO message_bodies (message_id, data) "
        "SELECT message_id, data FROM message_bodies_moving"
    )
    op.drop_table("message_bodies_moving")


def downgrade() -> None:
    op.create_table(
        "message_bodies_moving",
        sa.Column("message_id", sa.String(40), primary_key=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )
    op.execute(
        "INSERT INTO message_bodies_moving (message_id, data) "
        "SELECT message_id, data FROM message_bodies"
    )
    op.drop_table("message_bodies")
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("data", sa.LargeBinary(), nullable=True))
    op.execute(
        "UPDATE messages SET data = (SELECT data FROM message_bodies_moving "
        "WHERE message_bodies_moving.message_id = messages.id)"
    )
    with op.batch_alter_table("messages") as batch:
        batch.alter_column("data", existing_type=sa.LargeBinary(), nullable=False)
    op.drop_table("message_bodies_moving")
