"""Wiring: from Settings to ready services (database upgraded, key loaded, bootstrap done)."""

from __future__ import annotations

from dataclasses import dataclass

from smtp_connector.config import Settings
from smtp_connector.connections import Connection, ConnectionStore
from smtp_connector.inbox import LOCAL_INBOX, Inbox
from smtp_connector.keys import ApiKeyStore, NewApiKey, Scope
from smtp_connector.sending import SendService
from smtp_connector.smtp.types import Security
from smtp_connector.store.db import Database, upgrade_schema
from smtp_connector.store.secrets import SecretBox, load_or_create_key_file


@dataclass
class Runtime:
    db: Database
    connections: ConnectionStore
    keys: ApiKeyStore
    sender: SendService


def open_runtime(settings: Settings) -> Runtime:
    """Open the database, upgrade its schema, and load the encryption key."""
    db = Database(settings.resolved_database_url)
    upgrade_schema(db.engine)
    if settings.secret_key is not None:
        key = settings.secret_key.get_secret_value()
    else:
        key = load_or_create_key_file(settings.secret_key_file)
    connections = ConnectionStore(db, SecretBox(key))
    return Runtime(db, connections, ApiKeyStore(db), SendService(connections, settings.limits))


def ensure_admin_key(runtime: Runtime, settings: Settings) -> NewApiKey | None:
    """Ensure ``SMTP_CONNECTOR_ADMIN_API_KEY`` exists; on a first start without it, create one.

    Returns the new key when one was generated (to be printed once), else None.
    """
    if settings.admin_api_key is not None:
        runtime.keys.ensure(
            "admin (environment)", Scope.ADMIN, settings.admin_api_key.get_secret_value()
        )
        return None
    if runtime.keys.count() == 0:
        return runtime.keys.create("admin (first start)", Scope.ADMIN)
    return None


def ensure_inbox_connection(runtime: Runtime, inbox: Inbox) -> Connection:
    """Point the ``local-inbox`` connection at the running inbox (created on first start)."""
    existing = runtime.connections.find(LOCAL_INBOX)
    if existing is None:
        return runtime.connections.create(
            Connection(
                name=LOCAL_INBOX,
                server=inbox.host,
                port=inbox.port,
                security=Security.NONE,
                timeout_seconds=10.0,
            ),
            None,
        )
    if (existing.server, existing.port) != (inbox.host, inbox.port):
        return runtime.connections.update(LOCAL_INBOX, {"server": inbox.host, "port": inbox.port})
    return existing
