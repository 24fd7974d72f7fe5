"""API keys: created once and shown once, stored hashed, revocable, with a scope.

Active keys are cached by the hash of their secret (see :mod:`smtp_connector.cache`): this
process's own writes take effect at once, another process's within ``cache_seconds``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import func, select

from smtp_connector.cache import ReadCache
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
    """Domain verbs over the ``api_keys`` table.

    A write forgets the key's cached value once its transaction ends, committed or not (a
    commit that failed may still have been applied)."""

    def __init__(self, db: Database, *, cache_seconds: float = 0.0) -> None:
        self._db = db
        # Only active keys are kept, so unknown secrets (guesses) never take a place in it.
        self._cache: ReadCache[str, ApiKey] = ReadCache(cache_seconds)

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
        try:
            with self._db.session() as session:
                session.add(row)
        finally:
            self._cache.invalidate(row.key_hash)
        return NewApiKey(_public(row), secret)

    def ensure(self, name: str, scope: Scope, secret: str) -> ApiKey:
        """Make sure a key with exactly this secret exists and is active (bootstrap from env)."""
        key_hash = hash_secret(secret)
        try:
            with self._db.session() as session:
                row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == key_hash))
                if row is not None:
                    row.revoked_at = None
                    row.scope = scope.value
                    return _public(row)
        finally:
            self._cache.invalidate(key_hash)
        return self.create(name, scope, secret=secret).key

    def cached(self, secret: str) -> ApiKey | None:
        """The active key with this secret when this process has it cached, else None (not
        known here: ask ``authenticate``). A dictionary look-up, never the database."""
        return self._cache.get(hash_secret(secret))

    def authenticate(self, secret: str) -> ApiKey | None:
        """The active key with this secret, or None."""
        key_hash = hash_secret(secret)
        key = self._cache.get(key_hash)
        if key is not None:
            return key
        ticket = self._cache.ticket()
        with self._db.reading() as session:
            row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == key_hash))
            if row is None or row.revoked_at is not None:
                return None
            key = _public(row)
        self._cache.put(key_hash, key, ticket)
        return key

    def list(self) -> list[ApiKey]:
        with self._db.reading() as session:
            rows = session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at)).all()
            return [_public(r) for r in rows]

    def count(self) -> int:
        with self._db.reading() as session:
            return session.scalar(select(func.count()).select_from(ApiKeyRow)) or 0

    def revoke(self, key_id: str) -> ApiKey:
        """Raises ApiKeyNotFound."""
        key_hash = None
        try:
            with self._db.session() as session:
                # No key id holds a NUL, and PostgreSQL refuses one in a query.
                row = None if "\x00" in key_id else session.get(ApiKeyRow, key_id)
                if row is None:
                    raise ApiKeyNotFound(key_id)
                key_hash = row.key_hash
                if row.revoked_at is None:
                    row.revoked_at = datetime.now(UTC)
                return _public(row)
        finally:
            if key_hash is not None:
                self._cache.invalidate(key_hash)
