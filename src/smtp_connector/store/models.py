"""Database tables. The schema is owned by the Alembic migrations in ``store/migrations``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class ApiKeyRow(Base):
    """An API key, stored as the SHA-256 of its secret value."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    scope: Mapped[str] = mapped_column(String(16), nullable=False)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
