"""Named SMTP connections: stored with the password encrypted, turned into ``SmtpSettings``.

Connections read by name are cached with their decrypted settings (see
:mod:`smtp_connector.cache`): this process's own edits take effect at once, another process's
within ``cache_seconds``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smtp_connector.cache import ReadCache
from smtp_connector.errors import ConnectionNotFound
from smtp_connector.hosts import HostAllowList
from smtp_connector.mail.message import Address
from smtp_connector.outbox.types import RetryPolicy
from smtp_connector.smtp.types import AuthMechanism, Security, SmtpSettings
from smtp_connector.store.db import Database
from smtp_connector.store.models import ConnectionRow
from smtp_connector.store.names import insert_connection, salesforce_named
from smtp_connector.store.secrets import SecretBox


@dataclass(frozen=True)
class Rate:
    """``count`` events per ``per_seconds``; spaced evenly, so bursts never overshoot."""

    count: int
    per_seconds: float

    @property
    def interval_seconds(self) -> float:
        return self.per_seconds / self.count


@dataclass(frozen=True)
class Connection:
    """A stored connection as the rest of the program sees it (the password stays encrypted)."""

    name: str
    server: str
    port: int
    security: Security
    username: str | None = None
    verify_certificate: bool = True
    ca_bundle: str | None = None
    client_hostname: str | None = None
    timeout_seconds: float = 30.0
    auth_mechanism: AuthMechanism = AuthMechanism.AUTO
    default_from: str | None = None
    allowed_senders: tuple[str, ...] = ()
    retry_policy: RetryPolicy | None = None
    max_sessions: int | None = None
    rate_limit: Rate | None = None
    """Deliveries through this connection, shared by every worker process."""
    call_limit: Rate | None = None
    """Send calls accepted by each API process (429 beyond it)."""
    has_password: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None
    password_encrypted: str | None = field(default=None, repr=False)

    @property
    def pace_seconds(self) -> float | None:
        """Seconds between deliveries under ``rate_limit``; None when it has none."""
        return self.rate_limit.interval_seconds if self.rate_limit else None

    def allows_sender(self, sender: Address) -> bool:
        """True when there is no allow-list, or the address or its ``@domain`` is on it."""
        if not self.allowed_senders:
            return True
        key = sender.key
        domain = "@" + key.rpartition("@")[2]
        return any(item.lower() in (key, domain) for item in self.allowed_senders)


# Columns a caller may set; ``password`` is handled apart because it is encrypted.
_EDITABLE = {f.name for f in fields(Connection)} - {
    "name",
    "has_password",
    "created_at",
    "updated_at",
    "password_encrypted",
}


def _from_row(row: ConnectionRow) -> Connection:
    return Connection(
        name=row.name,
        server=row.server,
        port=row.port,
        security=Security(row.security),
        username=row.username,
        verify_certificate=row.verify_certificate,
        ca_bundle=row.ca_bundle,
        client_hostname=row.client_hostname,
        timeout_seconds=row.timeout_seconds,
        auth_mechanism=AuthMechanism(row.auth_mechanism),
        default_from=row.default_from,
        allowed_senders=tuple(row.allowed_senders or ()),
        retry_policy=RetryPolicy(**row.retry_policy) if row.retry_policy else None,
        max_sessions=row.max_sessions,
        rate_limit=Rate(**row.rate_limit) if row.rate_limit else None,
        call_limit=Rate(**row.call_limit) if row.call_limit else None,
        has_password=row.password_encrypted is not None,
        created_at=row.created_at,
        updated_at=row.updated_at,
        password_encrypted=row.password_encrypted,
    )


def _column_value(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return value.value if hasattr(value, "value") else value


def _named(session: Session, name: str) -> ConnectionRow:
    """The row of connection ``name``; raises ConnectionNotFound.

    No stored name holds a NUL (names are checked when created), and PostgreSQL refuses one in
    a query, so such a name is not found without asking the database.
    """
    row = None
    if "\x00" not in name:
        row = session.scalar(select(ConnectionRow).where(ConnectionRow.name == name))
    if row is None:
        if "\x00" not in name and salesforce_named(session, name):
            raise ConnectionNotFound(
                name,
                f"{name!r} is a Salesforce connection; this needs an SMTP connection.",
            )
        raise ConnectionNotFound(name)
    return row


@dataclass(slots=True)
class _Entry:
    """A cached connection and, once asked for, its transport settings (password decrypted)."""

    connection: Connection
    settings: SmtpSettings | None = field(default=None, repr=False)


class ConnectionStore:
    """Domain verbs over the ``connections`` table; every write is one transaction.

    A write forgets the connection's cached value once its transaction ends, committed or not
    (a commit that failed may still have been applied)."""

    def __init__(
        self,
        db: Database,
        box: SecretBox,
        hosts: HostAllowList | None = None,
        *,
        cache_seconds: float = 0.0,
    ) -> None:
        self._db = db
        self._box = box
        self._hosts = hosts or HostAllowList()
        self._cache: ReadCache[str, _Entry] = ReadCache(cache_seconds)

    def create(self, connection: Connection, password: str | None) -> Connection:
        """Raises AlreadyExists when the name is taken, HostNotAllowed for a server outside
        the operator's allow-list."""
        self._hosts.check(connection.server)
        now = datetime.now(UTC)
        values = {name: _column_value(getattr(connection, name)) for name in _EDITABLE}
        row = ConnectionRow(
            name=connection.name,
            password_encrypted=self._box.encrypt(password) if password else None,
            created_at=now,
            updated_at=now,
            **values,
        )
        try:
            insert_connection(self._db, row)
        finally:
            self._cache.invalidate(connection.name)
        return _from_row(row)

    def cached(self, name: str) -> Connection | None:
        """Connection ``name`` when this process has it cached, else None (not known here: ask
        ``get``). A dictionary look-up, never the database."""
        entry = self._cache.get(name)
        return entry.connection if entry is not None else None

    def get(self, name: str) -> Connection:
        """Raises ConnectionNotFound."""
        entry = self._cache.get(name)
        if entry is not None:
            return entry.connection
        ticket = self._cache.ticket()
        with self._db.reading() as session:
            connection = _from_row(_named(session, name))
        self._cache.put(name, _Entry(connection), ticket)
        return connection

    def find(self, name: str) -> Connection | None:
        try:
            return self.get(name)
        except ConnectionNotFound:
            return None

    def list(self) -> list[Connection]:
        with self._db.reading() as session:
            rows = session.scalars(select(ConnectionRow).order_by(ConnectionRow.name)).all()
            return [_from_row(r) for r in rows]

    def update(self, name: str, changes: Mapping[str, Any]) -> Connection:
        """Apply the given fields; ``password`` None clears it. Raises ConnectionNotFound or
        HostNotAllowed."""
        if "server" in changes:
            self._hosts.check(changes["server"])
        unknown = set(changes) - _EDITABLE - {"password"}
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")
        try:
            with self._db.session() as session:
                row = _named(session, name)
                for key, value in changes.items():
                    if key == "password":
                        row.password_encrypted = self._box.encrypt(value) if value else None
                    else:
                        setattr(row, key, _column_value(value))
                row.updated_at = datetime.now(UTC)
                session.flush()
                return _from_row(row)
        finally:
            self._cache.invalidate(name)

    def delete(self, name: str) -> None:
        """Raises ConnectionNotFound."""
        try:
            with self._db.session() as session:
                session.delete(_named(session, name))
        finally:
            self._cache.invalidate(name)

    def smtp_settings(self, connection: Connection) -> SmtpSettings:
        """The transport parameters with the password decrypted, for one conversation.

        Raises HostNotAllowed when the allow-list no longer admits the server, and
        ConfigurationError when the password cannot be decrypted."""
        entry = self._cache.get(connection.name)
        if entry is None or entry.connection is not connection:
            return self._decrypted(connection)
        if entry.settings is None:
            # The allow-list and the key are fixed for this store's life: the answer holds.
            entry.settings = self._decrypted(connection)
        return entry.settings

    def _decrypted(self, connection: Connection) -> SmtpSettings:
        self._hosts.check(connection.server)
        password = None
        if connection.password_encrypted:
            password = self._box.decrypt(connection.password_encrypted)
        return SmtpSettings(
            host=connection.server,
            port=connection.port,
            security=connection.security,
            username=connection.username,
            password=password,
            verify_certificate=connection.verify_certificate,
            ca_bundle_pem=connection.ca_bundle,
            client_hostname=connection.client_hostname,
            timeout_seconds=connection.timeout_seconds,
            auth_mechanism=connection.auth_mechanism,
        )
