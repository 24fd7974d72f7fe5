"""``/v1/connections``: create, list, read, change, delete and test named connections.

Two types share one name space: SMTP (the default, ``"type": "smtp"``) and Salesforce
(``"type": "salesforce"``, :mod:`smtp_connector.api.routes.salesforce_connections` does its
part). Reads show each connection's ``type``.
"""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Request, Response

from smtp_connector.api.body import SMALL_BODY_BYTES, read_json, read_model, validate
from smtp_connector.api.deps import AdminKey, Services, ServicesDep
from smtp_connector.api.openapi import answer, body, problem, problems, ref
from smtp_connector.api.routes import salesforce_connections as salesforce
from smtp_connector.api.schemas import ConnectionCreate, ConnectionPublic, ConnectionUpdate
from smtp_connector.api.schemas.answers import ConnectionCheck
from smtp_connector.api.schemas.salesforce import (
    SalesforceConnectionCheck,
    SalesforceConnectionCreate,
    SalesforceConnectionPublic,
    SalesforceConnectionUpdate,
)
from smtp_connector.errors import ConnectionNotFound
from smtp_connector.logs import log_event
from smtp_connector.smtp import client

router = APIRouter(prefix="/v1/connections", tags=["connections"])

AnyConnection = ConnectionPublic | SalesforceConnectionPublic

_LOCATION = {"description": "`/v1/connections/{name}`", "schema": {"type": "string"}}
_POLICY = "Wrong scope, or the server is outside the operator's allow-list (ALLOWED_SMTP_HOSTS)."
_CREATE = {
    "oneOf": [ref(ConnectionCreate, "validation"), ref(SalesforceConnectionCreate, "validation")]
}
_UPDATE = {
    "oneOf": [ref(ConnectionUpdate, "validation"), ref(SalesforceConnectionUpdate, "validation")]
}
_PUBLIC = {"oneOf": [ref(ConnectionPublic), ref(SalesforceConnectionPublic)]}


@router.post(
    "",
    status_code=201,
    response_model=None,
    openapi_extra=body(_CREATE),
    responses={
        201: answer("Created.", _PUBLIC, headers={"Location": _LOCATION}),
        **problem(403, _POLICY),
        **problems(409, 413),
    },
)
async def create_connection(
    request: Request, response: Response, services: ServicesDep, _key: AdminKey
) -> dict[str, Any]:
    """Create a connection; passwords and other secrets are encrypted and never returned."""
    payload = await read_json(request, SMALL_BODY_BYTES)
    if isinstance(payload, dict) and payload.get("type") == "salesforce":
        created_sf = await salesforce.create(
            services, validate(SalesforceConnectionCreate, payload)
        )
        response.headers["Location"] = f"/v1/connections/{created_sf.name}"
        return _dump(created_sf)
    smtp = validate(ConnectionCreate, payload)
    password = smtp.password.get_secret_value() if smtp.password else None
    created = await to_thread.run_sync(services.connections.create, smtp.to_domain(), password)
    log_event(
        "connection.created",
        connection=created.name,
        server=created.server,
        port=created.port,
        security=created.security,
    )
    response.headers["Location"] = f"/v1/connections/{created.name}"
    return _dump(ConnectionPublic.of(created))


@router.get(
    "",
    response_model=None,
    responses={200: answer("Every connection, by name.", {"type": "array", "items": _PUBLIC})},
)
async def list_connections(services: ServicesDep, _key: AdminKey) -> list[dict[str, Any]]:
    every: list[AnyConnection] = [
        ConnectionPublic.of(c) for c in await to_thread.run_sync(services.connections.list)
    ]
    every += await salesforce.listing(services)
    return [_dump(c) for c in sorted(every, key=lambda c: c.name)]


@router.get(
    "/{name}",
    response_model=None,
    responses={200: answer("The connection.", _PUBLIC), **problems(404)},
)
async def get_connection(name: str, services: ServicesDep, _key: AdminKey) -> dict[str, Any]:
    smtp = await to_thread.run_sync(services.connections.find, name)
    if smtp is not None:
        return _dump(ConnectionPublic.of(smtp))
    return _dump(await salesforce.read(services, name))


@router.patch(
    "/{name}",
    response_model=None,
    openapi_extra=body(
        {
            "oneOf": [
                ref(ConnectionUpdate, "validation"),
                ref(SalesforceConnectionUpdate, "validation"),
            ]
        }
    ),
    responses={
        200: answer("The changed connection.", _PUBLIC),
        **problem(403, _POLICY),
        **problems(404, 413),
    },
)
async def update_connection(
    name: str, request: Request, services: ServicesDep, _key: AdminKey
) -> dict[str, Any]:
    """Change the fields given; a secret given as null (``"password": null``) is removed."""
    if await _salesforce_named(services, name):
        return _dump(await salesforce.update(services, name, request))
    changes = (await read_model(request, ConnectionUpdate)).changes()
    updated = await to_thread.run_sync(services.connections.update, name, changes)
    log_event("connection.updated", connection=name, fields=",".join(sorted(changes)))
    return _dump(ConnectionPublic.of(updated))


@router.delete("/{name}", status_code=204, responses=problems(404))
async def delete_connection(name: str, services: ServicesDep, _key: AdminKey) -> Response:
    if await _salesforce_named(services, name):
        await salesforce.delete(services, name)
    else:
        await to_thread.run_sync(services.connections.delete, name)
    log_event("connection.deleted", connection=name)
    return Response(status_code=204)


@router.post(
    "/{name}/test",
    response_model=None,
    responses={
        200: answer(
            "The server answered (SMTP), or Salesforce gave a token.",
            {"oneOf": [ref(ConnectionCheck), ref(SalesforceConnectionCheck)]},
        ),
        **problem(403, _POLICY),
        **problems(404),
        **problem(
            502,
            "Could not use the server: TLS, AUTH or not SMTP; Salesforce refused the login "
            "(`auth_failed`) (`code`, `hint`).",
        ),
        **problem(503, "Could not reach the server now: connect failed or timed out."),
    },
)
async def test_connection(name: str, services: ServicesDep, _key: AdminKey) -> dict[str, Any]:
    """SMTP: connect, negotiate TLS, authenticate, and report what the server offers.
    Salesforce: obtain a token, and report the instance URL and the organisation."""
    if await _salesforce_named(services, name):
        return await salesforce.test(services, name)
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


async def _salesforce_named(services: Services, name: str) -> bool:
    """Whether ``name`` is a Salesforce connection (not an SMTP one)."""
    if await to_thread.run_sync(services.connections.find, name) is not None:
        return False
    if services.salesforce is None:
        raise ConnectionNotFound(name)
    return await to_thread.run_sync(services.salesforce.find, name) is not None


def _dump(model: AnyConnection) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True)
