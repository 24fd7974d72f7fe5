"""The Salesforce part of ``/v1/connections`` (the routes live in ``connections.py``)."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from fastapi import Request

from smtp_connector.api.body import read_model
from smtp_connector.api.deps import Services
from smtp_connector.api.schemas.salesforce import (
    SalesforceConnectionCreate,
    SalesforceConnectionPublic,
    SalesforceConnectionUpdate,
    missing_for,
)
from smtp_connector.errors import ConfigurationError, FieldProblem, InvalidInput
from smtp_connector.logs import log_event
from smtp_connector.salesforce.client import SalesforceClient
from smtp_connector.salesforce.connections import SalesforceConnectionStore


def _store(services: Services) -> SalesforceConnectionStore:
    if services.salesforce is None:
        raise ConfigurationError("Salesforce connections are not available in this process.")
    return services.salesforce


async def create(
    services: Services, body: SalesforceConnectionCreate
) -> SalesforceConnectionPublic:
    store = _store(services)
    created = await to_thread.run_sync(store.create, body.to_domain(), body.secrets())
    log_event(
        "connection.created",
        connection=created.name,
        type="salesforce",
        login_url=created.login_url,
        grant_type=created.grant_type.value,
    )
    return SalesforceConnectionPublic.of(created)


async def listing(services: Services) -> list[SalesforceConnectionPublic]:
    if services.salesforce is None:
        return []
    return [
        SalesforceConnectionPublic.of(c) for c in await to_thread.run_sync(services.salesforce.list)
    ]


async def read(services: Services, name: str) -> SalesforceConnectionPublic:
    return SalesforceConnectionPublic.of(await to_thread.run_sync(_store(services).get, name))


async def update(services: Services, name: str, request: Request) -> SalesforceConnectionPublic:
    changes = (await read_model(request, SalesforceConnectionUpdate)).changes()
    updated = await to_thread.run_sync(_store(services).update, name, changes)
    log_event("connection.updated", connection=name, fields=",".join(sorted(changes)))
    return SalesforceConnectionPublic.of(updated)


async def delete(services: Services, name: str) -> None:
    await to_thread.run_sync(_store(services).delete, name)


async def test(services: Services, name: str) -> dict[str, Any]:
    """Log in once and say where the org lives; raises SalesforceError with a stable code."""
    store = _store(services)
    connection = await to_thread.run_sync(store.get, name)
    missing = missing_for(connection)
    if missing:
        grant = connection.grant_type.value
        message = f"The connection needs {' and '.join(missing)} for grantType {grant}."
        raise InvalidInput(message, [FieldProblem(field, message) for field in missing])
    credentials = store.credentials(connection)
    async with SalesforceClient(credentials, store.hosts) as client:
        token = await client.login()
    log_event(
        "connection.tested", connection=name, type="salesforce", organization=token.organization_id
    )
    return {
        "ok": True,
        "connection": name,
        "type": "salesforce",
        "instanceUrl": token.instance_url,
        "organizationId": token.organization_id,
        "userId": token.user_id,
        "apiVersion": connection.api_version,
    }
