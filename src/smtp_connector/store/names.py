"""One name space for connections of every type (SMTP and Salesforce live in two tables).

A create goes through :func:`insert_connection`, which calls :func:`claim_connection_name` in
its transaction before adding the row: the name must not be taken in the other table. Within
a table the unique index decides; across tables, PostgreSQL serializes the check on a
transaction-scoped advisory lock keyed by the name, and SQLite's write transactions are serial
already (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smtp_connector.errors import AlreadyExists
from smtp_connector.store.db import Database
from smtp_connector.store.models import ConnectionRow
from smtp_connector.store.salesforce_tables import SalesforceConnectionRow

_LOCK = text("SELECT pg_advisory_xact_lock(hashtext(:key))")


def claim_connection_name(session: Session, name: str) -> None:
    """Raises AlreadyExists when a connection of any type is named ``name``."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_LOCK, {"key": f"connection:{name}"})
    for table in (ConnectionRow, SalesforceConnectionRow):
        taken = session.scalar(select(func.count()).select_from(table).where(table.name == name))
        if taken:
            raise AlreadyExists(f"A connection named {name!r} already exists.")


def insert_connection(db: Database, row: ConnectionRow | SalesforceConnectionRow) -> None:
    """Insert a new connection's row in a transaction of its own; raises AlreadyExists when a
    connection of any type has its name (also when a concurrent create took it first)."""
    try:
        with db.session() as session:
            claim_connection_name(session, row.name)
            session.add(row)
    except IntegrityError as exc:
        raise AlreadyExists(f"A connection named {row.name!r} already exists.") from exc


def salesforce_named(session: Session, name: str) -> bool:
    """Whether ``name`` is a Salesforce connection (to say so when an SMTP one was wanted)."""
    query = select(func.count()).select_from(SalesforceConnectionRow)
    return bool(session.scalar(query.where(SalesforceConnectionRow.name == name)))
