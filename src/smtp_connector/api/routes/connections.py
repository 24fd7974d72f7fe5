"""``/v1/connections``: create, list, read, change, delete and test named SMTP connections."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Request, Response

from smtp_connector.api.body import read_model
from smtp_connector.api.deps import AdminKey, ServicesDep
from smtp_connector.api.openapi import answer, body, problem, problems, ref
from smtp_connector.api.schemas import ConnectionCreate, ConnectionPublic, ConnectionUpdate
from smtp_connector.api.schemas.answers import ConnectionCheck
from smtp_connector.logs import log_event
from smtp_connector.smtp import client

router = APIRouter(prefix="/v1/connections", tags=["connections"])


_LOCATION = {"description": "`/v1/connections/{name}`", "schema": {"type": "string"}}
_POLICY = "Wrong scope, or the server is outside the operator's allow-list (ALLOWED_SMTP_HOSTS)."


@router.post(
    "",
    status_code=201,
    response_model=ConnectionPublic,
    openapi_extra=body(ref(ConnectionCreate, "validation")),
    responses={
        201: answer("Created.", headers={"Location": _LOCATION}),
        **problem(403, _POLICY),
        **problems(409, 413),
    },
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


@router.get("/{name}", response_model=ConnectionPublic, responses=problems(404))
async def get_connection(name: str, services: ServicesDep, _key: AdminKey) -> ConnectionPublic:
    return ConnectionPublic.of(await to_thread.run_sync(services.connections.get, name))


@router.patch(
    "/{name}",
    response_model=ConnectionPublic,
    openapi_extra=body(ref(ConnectionUpdate, "validation")),
    responses={**problem(403, _POLICY), **problems(404, 413)},
)
async def update_connection(
    name: str, request: Request, services: ServicesDep, _key: AdminKey
) -> ConnectionPublic:
    """Change the fields given; ``"password": null`` removes the stored password."""
    body = await read_model(request, ConnectionUpdate)
    changes = body.changes()
    updated = await to_thread.run_sync(services.connections.update, name, changes)
    log_event("connection.updated", connection=name, fields=",".join(sorted(changes)))
    return ConnectionPublic.of(updated)


@router.delete("/{name}", status_code=204, responses=problems(404))
async def delete_connection(name: str, services: ServicesDep, _key: AdminKey) -> Response:
    await to_thread.run_sync(services.connections.delete, name)
    log_event("connection.deleted", connection=name)
    return Response(status_code=204)


@router.post(
    "/{name}/test",
    response_model=None,
    responses={
        200: answer("The server answered.", ref(ConnectionCheck)),
        **problem(403, _POLICY),
        **problems(404),
        **problem(502, "Could not use the server: TLS, AUTH or not SMTP (`code`, `hint`)."),
        **problem(503, "Could not reach the server now: connect failed or timed out."),
    },
)
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
