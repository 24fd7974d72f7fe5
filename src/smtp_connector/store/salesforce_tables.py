"""Tables of Salesforce connections (migration 0006).

A Salesforce connection shares its name space with SMTP connections (``store/names.py``
keeps a name unique across both). Each secret is a Fernet token of its own, never plaintext,
so that a connection can say which secrets it holds without decrypting them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from smtp_connector.store.models import Base, UtcDateTime


class SalesforceConnectionRow(Base):
    __tablename__ = "salesforce_connections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    login_url: Mapped[str] = mapped_column(String(2048), nullable=False)
    grant_type: Mapped[str] = mapped_column(String(32), nullable=False)
    client_id: Mapped[str] = mapped_column(String(512), nullable=False)
    username: Mapped[str | None] = mapped_column(String(512))
    api_version: Mapped[str] = mapped_column(String(16), nullable=False)
    timeout_seconds: Mapped[float] = mapped_column(Float, nullable=False)
    client_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    password_encrypted: Mapped[str | None] = mapped_column(Text)
    security_token_encrypted: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
