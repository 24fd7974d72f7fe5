"""Database tables. The schema is owned by the Alembic migrations in ``store/migrations``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC; a naive value (what SQLite returns) is taken to be UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def checked_utc(value: datetime) -> datetime:
    """``as_utc`` for input: raises ValueError, not OverflowError, when the instant falls outside
    the years 1-9999 once moved to UTC (``9999-12-31T23:00:00-05:00``, for example)."""
    try:
        return as_utc(value)
    except OverflowError as exc:
        raise ValueError("the time is out of range once converted to UTC") from exc


class UtcDateTime(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that always stores and returns aware UTC values.

    SQLite keeps timestamps as text without an offset and compares them as text, so every
    value must be converted to UTC before it is written; PostgreSQL returns values in the
    session's time zone. Both come back as aware UTC datetimes.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


class ConnectionRow(Base):
    """A named SMTP connection; ``password_encrypted`` is a Fernet token, never plaintext."""

    __tablename__ = "connections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    server: Mapped[str] = mapped_column(String(253), nullable=False)
    port: Mapped[int] = mapped_column(Integer, nullable=False)
    username: Mapped[str | None] = mapped_column(String(512))
    password_encrypted: Mapped[str | None] = mapped_column(Text)
    security: Mapped[str] = mapped_column(String(32), nullable=False)
    verify_certificate: Mapped[bool] = mapped_column(Boolean, nullable=False)
    ca_bundle: Mapped[str | None] = mapped_column(Text)
    client_hostname: Mapped[str | None] = mapped_column(String(253))
    timeout_seconds: Mapped[float] = mapped_column(Float, nullable=False)
    auth_mechanism: Mapped[str] = mapped_column(String(16), nullable=False)
    default_from: Mapped[str | None] = mapped_column(String(512))
    allowed_senders: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    # Added by migration 0002; NULL means "use the service-wide default".
    retry_policy: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    max_sessions: Mapped[int | None] = mapped_column(Integer)
    rate_limit: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """``{"messages": n, "perSeconds": s}``: delivery pace towards the SMTP server."""
    call_limit: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """``{"calls": n, "perSeconds": s}``: API calls accepted for this connection."""


class ApiKeyRow(Base):
    """An API key, stored as the SHA-256 of its secret value."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    scope: Mapped[str] = mapped_column(String(16), nullable=False)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


WAITING_PREDICATE = "status IN ('queued', 'retrying')"
"""Messages waiting for their ``next_attempt_at``; written as literals so that both engines'
planners can match it against the partial index ``ix_messages_due``."""


class MessageRow(Base):
    """One message in the outbox: its envelope, its state, its lease and its result.

    Its bytes are in ``message_bodies``: a message's row changes at every claim and outcome,
    and SQLite writes a whole row again (large values included) when any column changes.
    """

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_messages_created_at_id", "created_at", "id"),
        # Due messages in claim order: a claim reads the first rows of this index and stops.
        Index(
            "ix_messages_due",
            "next_attempt_at",
            "id",
            postgresql_where=text(WAITING_PREDICATE),
            sqlite_where=text(WAITING_PREDICATE),
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    connection: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    message_id: Mapped[str] = mapped_column(String(998), nullable=False)
    mail_from: Mapped[str] = mapped_column(String(998), nullable=False)
    rcpt_to: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    smtputf8: Mapped[bool] = mapped_column(Boolean, nullable=False)
    dsn: Mapped[bool] = mapped_column(Boolean, nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    """Of the message's bytes, which live in ``message_bodies`` (``MessageBodyRow``)."""
    attempt_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lease_token: Mapped[str | None] = mapped_column(String(32))
    """A fresh random value per claim: the holder's reports must carry it (the fence)."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    accepted: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    rejected: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    """Address to ``{"code", "enhancedCode", "message"}`` for each refused recipient."""
    response: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """``{"code", "message", "smtpCode", "enhancedCode", "retryable"}`` of the last failure."""
    outcome_unknown: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class MessageBodyRow(Base):
    """A message's bytes, written once when it is committed and deleted with it."""

    __tablename__ = "message_bodies"

    message_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class AttemptRow(Base):
    """One delivery attempt; an open attempt (``finished_at`` NULL) belongs to the lease holder."""

    __tablename__ = "attempts"
    __table_args__ = (UniqueConstraint("message", "number", name="uq_attempts_message_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message: Mapped[str] = mapped_column(
        String(40), ForeignKey("messages.id", ondelete="CASCADE"), nullable=False, index=True
    )
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    worker: Mapped[str] = mapped_column(String(128), nullable=False)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))
    smtp_code: Mapped[int | None] = mapped_column(Integer)
    enhanced_code: Mapped[str | None] = mapped_column(String(16))
    response: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)


class IdempotencyKeyRow(Base):
    """An ``Idempotency-Key`` seen from one API key; ``status_code`` NULL while in progress."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (PrimaryKeyConstraint("scope", "key", name="pk_idempotency_keys"),)

    scope: Mapped[str] = mapped_column(String(64), nullable=False)
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    message_ids: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, index=True)


class RateLimitRow(Base):
    """The pace of a rate-limited connection, shared by every process (two GCRA clocks)."""

    __tablename__ = "rate_limits"

    connection: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    """The plan: the due time the next new message gets (each one moves it on by a slot)."""
    gate_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    """The gate: the earliest time the next delivery may start (each one moves it on)."""
