"""Alembic environment: runs on the connection that ``store.db.upgrade_schema`` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from smtp_connector.store import salesforce_tables, workflow_tables  # noqa: F401  (their tables)
from smtp_connector.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # `alembic` run by hand with -x url=...
    url = context.get_x_argument(as_dictionary=True)["url"]
    with create_engine(url).begin() as own:
        context.configure(connection=own, target_metadata=Base.metadata)
        context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=Base.metadata)
    context.run_migrations()
