"""``/v1/connections``: create, list, read, change, delete and test named SMTP connections."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Request, Response

from smtp_connector.api.body import read_model
from smtp_connector.api.deps import AdminKey, ServicesDep
from smtp_connector.api.schemas import ConnectionCreate, ConnectionPublic, ConnectionUpdate
from smtp_connector.logs import log_event
from smtp_connector.smtp import client

router = APIRouter(prefix="/v1/connections", tags=["connections"])


def _body_doc(model: type[Any]) -> dict[str, Any]:
    schema = model.model_json_schema(by_alias=True)
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


@router.post(
    "", status_code=201, response_model=ConnectionPublic, openapi_extra=_body_doc(ConnectionCreate)
)
async def create_connection(
    request: Request, response: Response, services: ServicesDep, _key: AdminKey
) -> ConnectionPublic:
    """Create a connection; the password is encrypted and never returned."""
    body = await read_model(request, ConnectionCreate)
    password = body.password.get_secret_value() if body.password else None
    created = await to_thread.run_sync(services.connections.create, body.to_domain(), password)
    log_event(
        "connection.created",
        connection=created.name,
        server=created.server,
        port=created.port,
        security=created.security,
    )
    response.headers["Location"] = f"/v1/connections/{created.name}"
    return ConnectionPublic.of(created)


@router.get("", response_model=list[ConnectionPublic])
async def list_connections(services: ServicesDep, _key: AdminKey) -> list[ConnectionPublic]:
    return [ConnectionPublic.of(c) for c in await to_thread.run_sync(services.connections.list)]


@router.get("/{name}", response_model=ConnectionPublic)
async def get_connection(name: str, services: ServicesDep, _key: AdminKey) -> ConnectionPublic:
    return ConnectionPublic.of(await to_thread.run_sync(services.connections.get, name))


@router.patch("/{name}", response_model=ConnectionPublic, openapi_extra=_body_doc(ConnectionUpdate))
async def update_connection(
    name: str, request: Request, services: ServicesDep, _key: AdminKey
) -> ConnectionPublic:
    """Change the fields given; ``"password": null`` removes the stored password."""
    body = await read_model(request, ConnectionUpdate)
    changes = body.changes()
    updated = await to_thread.run_sync(services.connections.update, name, changes)
    log_event("connection.updated", connection=name, fields=",".join(sorted(changes)))
    return ConnectionPublic.of(updated)


@router.delete("/{name}", status_code=204)
async def delete_connection(name: str, services: ServicesDep, _key: AdminKey) -> Response:
    await to_thread.run_sync(services.connections.delete, name)
    log_event("connection.deleted", connection=name)
    return Response(status_code=204)


@router.post("/{name}/test")
async def test_connection(name: str, services: ServicesDep, _key: AdminKey) -> dict[str, Any]:
    """Connect, negotiate TLS, authenticate, and report what the server offers."""
    connection = await to_thread.run_sync(services.connections.get, name)
    caps = await client.probe(services.connections.smtp_settings(connection))
    log_event("connection.tested", connection=name, tls=caps.tls, authenticated=caps.authenticated)
    return {
        "ok": True,
        "connection": name,
        "tls": caps.tls,
        "authenticated": caps.authenticated,
        "capabilities": {
            "starttls": caps.starttls,
            "auth": list(caps.auth_mechanisms),
            "size": caps.size_limit,
            "pipelining": caps.pipelining,
            "8bitmime": caps.eightbitmime,
            "smtputf8": caps.smtputf8,
            "dsn": caps.dsn,
        },
    }
