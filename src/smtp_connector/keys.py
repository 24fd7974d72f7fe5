"""API keys: created once and shown once, stored hashed, revocable, with a scope."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import func, select

from smtp_connector.errors import ApiKeyNotFound
from smtp_connector.store.db import Database
from smtp_connector.store.models import ApiKeyRow

KEY_PREFIX = "sck_"


class Scope(StrEnum):
    """``send`` may send and read messages; ``admin`` may also manage connections and keys."""

    SEND = "send"
    ADMIN = "admin"

    def allows(self, needed: Scope) -> bool:
        return self is Scope.ADMIN or self is needed


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    scope: Scope
    prefix: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class NewApiKey:
    """A freshly created key: ``secret`` is the only time the full value exists outside a client."""

    key: ApiKey
    secret: str


def hash_secret(secret: str) -> str:
    """SHA-256 is enough: keys are 256-bit random values, not passwords."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _public(row: ApiKeyRow) -> ApiKey:
    return ApiKey(row.id, row.name, Scope(row.scope), row.prefix, row.created_at, row.revoked_at)


class ApiKeyStore:
    """Domain verbs over the ``api_keys`` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, name: str, scope: Scope, *, secret: str | None = None) -> NewApiKey:
        secret = secret or KEY_PREFIX + secrets.token_urlsafe(32)
        row = ApiKeyRow(
            id="key_" + secrets.token_hex(6),
            name=name,
            scope=scope.value,
            key_hash=hash_secret(secret),
            prefix=secret[:10],
            created_at=datetime.now(UTC),
        )
        with self._db.session() as session:
            session.add(row)
        return NewApiKey(_public(row), secret)

    def ensure(self, name: str, scope: Scope, secret: str) -> ApiKey:
        """Make sure a key with exactly this secret exists and is active (bootstrap from env)."""
        with self._db.session() as session:
            row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == hash_secret(secret)))
            if row is not None:
                row.revoked_at = None
                row.scope = scope.value
                return _public(row)
        return self.create(name, scope, secret=secret).key

    def authenticate(self, secret: str) -> ApiKey | None:
        """The active key with this secret, or None."""
        with self._db.reading() as session:
            row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == hash_secret(secret)))
            if row is None or row.revoked_at is not None:
                return None
            return _public(row)

    def list(self) -> list[ApiKey]:
        with self._db.reading() as session:
            rows = session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at)).all()
            return [_public(r) for r in rows]

    def count(self) -> int:
        with self._db.reading() as session:
            return session.scalar(select(func.count()).select_from(ApiKeyRow)) or 0

    def revoke(self, key_id: str) -> ApiKey:
        """Raises ApiKeyNotFound."""
        with self._db.session() as session:
            # No key id holds a NUL, and PostgreSQL refuses one in a query.
            row = None if "\x00" in key_id else session.get(ApiKeyRow, key_id)
            if row is None:
                raise ApiKeyNotFound(key_id)
            if row.revoked_at is None:
                row.revoked_at = datetime.now(UTC)
            return _public(row)
