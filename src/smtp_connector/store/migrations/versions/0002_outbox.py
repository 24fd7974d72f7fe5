"""The outbox: messages, attempts, idempotency keys, rate-limit slots; connection limits.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_CONNECTION_COLUMNS = ("retry_policy", "max_sessions", "rate_limit", "call_limit")
_WAITING = "status IN ('queued', 'retrying')"


def upgrade() -> None:
    op.create_table(
        "messages",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("connection", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message_id", sa.String(998), nullable=False),
        sa.Column("mail_from", sa.String(998), nullable=False),
        sa.Column("rcpt_to", sa.JSON, nullable=False),
        sa.Column("smtputf8", sa.Boolean, nullable=False),
        sa.Column("dsn", sa.Boolean, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("attempt_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
        sa.Column("lease_owner", sa.String(128)),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("accepted", sa.JSON, nullable=False),
        sa.Column("rejected", sa.JSON, nullable=False),
        sa.Column("response", sa.Text),
        sa.Column("last_error", sa.JSON),
        sa.Column("outcome_unknown", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_messages_connection", "messages", ["connection"])
    op.create_index("ix_messages_status_next_attempt_at", "messages", ["status", "next_attempt_at"])
    op.create_index("ix_messages_created_at_id", "messages", ["created_at", "id"])
    op.create_index(
        "ix_messages_due",
        "messages",
        ["next_attempt_at", "id"],
        postgresql_where=sa.text(_WAITING),
        sqlite_where=sa.text(_WAITING),
    )

    op.create_table(
        "attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "message",
            sa.String(40),
            sa.ForeignKey("messages.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("worker", sa.String(128), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("outcome", sa.String(16)),
        sa.Column("smtp_code", sa.Integer),
        sa.Column("enhanced_code", sa.String(16)),
        sa.Column("response", sa.Text),
        sa.Column("error_code", sa.String(64)),
        sa.Column("error", sa.Text),
        sa.UniqueConstraint("message", "number", name="uq_attempts_message_number"),
    )
    op.create_index("ix_attempts_message", "attempts", ["message"])

    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("message_ids", sa.JSON, nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("response", sa.JSON),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name="pk_idempotency_keys"),
    )
    op.create_index("ix_idempotency_keys_expires_at", "idempotency_keys", ["expires_at"])

    op.create_table(
        "rate_limits",
        sa.Column("connection", sa.String(64), primary_key=True),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
    )

    # Nullable columns: a plain ALTER TABLE ADD COLUMN on both engines.
    op.add_column("connections", sa.Column("retry_policy", sa.JSON))
    op.add_column("connections", sa.Column("max_sessions", sa.Integer))
    op.add_column("connections", sa.Column("rate_limit", sa.JSON))
    op.add_column("connections", sa.Column("call_limit", sa.JSON))


def downgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        for name in reversed(_CONNECTION_COLUMNS):
            batch.drop_column(name)
    op.drop_table("rate_limits")
    op.drop_index("ix_idempotency_keys_expires_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_index("ix_attempts_message", table_name="attempts")
    op.drop_table("attempts")
    op.drop_index("ix_messages_due", table_name="messages")
    op.drop_index("ix_messages_created_at_id", table_name="messages")
    op.drop_index("ix_messages_status_next_attempt_at", table_name="messages")
    op.drop_index("ix_messages_connection", table_name="messages")
    op.drop_table("messages")
