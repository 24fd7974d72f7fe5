"""Request dependencies: the application's services and the API-key check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from anyio import to_thread
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from smtp_connector.connections import ConnectionStore
from smtp_connector.inbox import Inbox
from smtp_connector.keys import ApiKey, ApiKeyStore, Scope
from smtp_connector.mail.limits import Limits
from smtp_connector.outbox.store import OutboxStore
from smtp_connector.outbox.submit import SendService
from smtp_connector.outbox.worker import Worker
from smtp_connector.salesforce.connections import SalesforceConnectionStore
from smtp_connector.store.db import Database
from smtp_connector.workflows.service import WorkflowService


@dataclass
class Services:
    """Everything a route may use; built once by ``api.app.create_app``."""

    db: Database
    connections: ConnectionStore
    keys: ApiKeyStore
    outbox: OutboxStore
    sender: SendService
    limits: Limits
    idempotency_ttl_seconds: float
    inbox: Inbox | None = None
    worker: Worker | None = None
    workflows: WorkflowService | None = None
    salesforce: SalesforceConnectionStore | None = None

    def wake_workers(self) -> None:
        if self.worker is not None:
            self.worker.wake()


async def get_services(request: Request) -> Services:
    """Async on purpose: FastAPI runs a plain ``def`` dependency on a worker thread."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]

_bearer = HTTPBearer(auto_error=False)
_REALM = 'Bearer realm="smtp-connector"'


def _unauthorized(detail: str, error: str | None = None) -> HTTPException:
    challenge = _REALM + (f', error="{error}"' if error else "")
    return HTTPException(401, detail, headers={"WWW-Authenticate": challenge})


def require(scope: Scope) -> object:
    """A dependency that admits a valid, unrevoked key whose scope covers ``scope``."""

    async def check(
        services: ServicesDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> ApiKey:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise _unauthorized("An API key is required: Authorization: Bearer <key>.")
        key = services.keys.cached(credentials.credentials)
        if key is None:  # not cached here: ask the database off the event loop
            key = await to_thread.run_sync(services.keys.authenticate, credentials.credentials)
        if key is None:
            raise _unauthorized("The API key is unknown or revoked.", "invalid_token")
        if not key.scope.allows(scope):
            raise HTTPException(403, f"This API key's scope ({key.scope}) does not allow this.")
        return key

    return Depends(check)


SendKey = Annotated[ApiKey, require(Scope.SEND)]
AdminKey = Annotated[ApiKey, require(Scope.ADMIN)]
