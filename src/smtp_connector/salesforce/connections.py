"""Named Salesforce connections: stored with their secrets encrypted, turned into
:class:`~smtp_connector.salesforce.client.Credentials` when a call needs them.

The secrets (``clientSecret``, ``password``, ``securityToken``) are write-only: they are
encrypted with the installation's key (:class:`~smtp_connector.store.secrets.SecretBox`) and
never returned; a connection says only which ones it holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smtp_connector.errors import ConnectionNotFound
from smtp_connector.hosts import HostAllowList
from smtp_connector.salesforce.client import (
    DEFAULT_API_VERSION,
    DEFAULT_LOGIN_URL,
    Credentials,
    GrantType,
)
from smtp_connector.salesforce.urls import checked_url
from smtp_connector.store.db import Database
from smtp_connector.store.names import insert_connection
from smtp_connector.store.salesforce_tables import SalesforceConnectionRow
from smtp_connector.store.secrets import SecretBox

SECRETS = ("client_secret", "password", "security_token")
"""The write-only fields, each stored encrypted in ``<name>_encrypted``."""


@dataclass(frozen=True)
class SalesforceConnection:
    """A stored Salesforce connection as the rest of the program sees it (no secrets)."""

    name: str
    login_url: str = DEFAULT_LOGIN_URL
    grant_type: GrantType = GrantType.PASSWORD
    client_id: str = ""
    username: str | None = None
    api_version: str = DEFAULT_API_VERSION
    timeout_seconds: float = 30.0
    has_client_secret: bool = False
    has_password: bool = False
    has_security_token: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None
    encrypted: Mapping[str, str | None] = field(default_factory=dict, repr=False)


_EDITABLE = ("login_url", "grant_type", "client_id", "username", "api_version", "timeout_seconds")


def _from_row(row: SalesforceConnectionRow) -> SalesforceConnection:
    encrypted = {name: getattr(row, f"{name}_encrypted") for name in SECRETS}
    return SalesforceConnection(
        name=row.name,
        login_url=row.login_url,
        grant_type=GrantType(row.grant_type),
        client_id=row.client_id,
        username=row.username,
        api_version=row.api_version,
        timeout_seconds=row.timeout_seconds,
        has_client_secret=encrypted["client_secret"] is not None,
        has_password=encrypted["password"] is not None,
        has_security_token=encrypted["security_token"] is not None,
        created_at=row.created_at,
        updated_at=row.updated_at,
        encrypted=encrypted,
    )


def _named(session: Session, name: str) -> SalesforceConnectionRow:
    row = None
    if "\x00" not in name:
        row = session.scalar(
            select(SalesforceConnectionRow).where(SalesforceConnectionRow.name == name)
        )
    if row is None:
        raise ConnectionNotFound(name)
    return row


class SalesforceConnectionStore:
    """Domain verbs over ``salesforce_connections``; every write is one transaction."""

    def __init__(self, db: Database, box: SecretBox, hosts: HostAllowList | None = None) -> None:
        self._db = db
        self._box = box
        self._hosts = hosts or HostAllowList()

    @property
    def hosts(self) -> HostAllowList:
        return self._hosts

    def create(
        self, connection: SalesforceConnection, secrets: Mapping[str, str | None]
    ) -> SalesforceConnection:
        """Raises AlreadyExists when the name is taken by a connection of any type,
        InvalidInput or HostNotAllowed for a login URL that may not be used."""
        login_url = checked_url(connection.login_url, self._hosts, "loginUrl")
        now = datetime.now(UTC)
        row = SalesforceConnectionRow(
            name=connection.name,
            login_url=login_url,
            grant_type=connection.grant_type.value,
            client_id=connection.client_id,
            username=connection.username,
            api_version=connection.api_version,
            timeout_seconds=connection.timeout_seconds,
            created_at=now,
            updated_at=now,
            **{f"{name}_encrypted": self._seal(secrets.get(name)) for name in SECRETS},
        )
        insert_connection(self._db, row)
        return _from_row(row)

    def get(self, name: str) -> SalesforceConnection:
        """Raises ConnectionNotFound."""
        with self._db.reading() as session:
            return _from_row(_named(session, name))

    def find(self, name: str) -> SalesforceConnection | None:
        try:
            return self.get(name)
        except ConnectionNotFound:
            return None

    def list(self) -> list[SalesforceConnection]:
        with self._db.reading() as session:
            rows = session.scalars(
                select(SalesforceConnectionRow).order_by(SalesforceConnectionRow.name)
            ).all()
            return [_from_row(r) for r in rows]

    def update(self, name: str, changes: Mapping[str, Any]) -> SalesforceConnection:
        """Apply the given fields; a secret given as None is removed. Raises
        ConnectionNotFound, InvalidInput or HostNotAllowed."""
        unknown = set(changes) - set(_EDITABLE) - set(SECRETS)
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")
        values = dict(changes)
        if "login_url" in values:
            values["login_url"] = checked_url(values["login_url"], self._hosts, "loginUrl")
        with self._db.session() as session:
            row = _named(session, name)
            for key, value in values.items():
                if key in SECRETS:
                    setattr(row, f"{key}_encrypted", self._seal(value))
                elif isinstance(value, GrantType):
                    setattr(row, key, value.value)
                else:
                    setattr(row, key, value)
            row.updated_at = datetime.now(UTC)
            session.flush()
            return _from_row(row)

    def delete(self, name: str) -> None:
        """Raises ConnectionNotFound."""
        with self._db.session() as session:
            session.delete(_named(session, name))

    def credentials(self, connection: SalesforceConnection) -> Credentials:
        """What a client logs in with, secrets decrypted (ConfigurationError if they cannot
        be). The login URL is checked again: the allow-list may have changed since."""
        login_url = checked_url(connection.login_url, self._hosts, "loginUrl")
        clear = {
            name: self._box.decrypt(token) if token else None
            for name, token in connection.encrypted.items()
        }
        return Credentials(
            login_url=login_url,
            client_id=connection.client_id,
            client_secret=clear.get("client_secret"),
            grant_type=connection.grant_type,
            username=connection.username,
            password=clear.get("password"),
            security_token=clear.get("security_token"),
            api_version=connection.api_version,
            timeout_seconds=connection.timeout_seconds,
        )

    def _seal(self, secret: str | None) -> str | None:
        return self._box.encrypt(secret) if secret else None
