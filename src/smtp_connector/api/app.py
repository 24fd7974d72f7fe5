"""The FastAPI application: routers, error handlers, and the services they share."""

from __future__ import annotations

from fastapi import FastAPI

from smtp_connector import __version__
from smtp_connector.api import problems
from smtp_connector.api.deps import Services
from smtp_connector.api.routes import connections, health, keys, send
from smtp_connector.api.routes import inbox as inbox_api
from smtp_connector.config import Settings
from smtp_connector.inbox import Inbox
from smtp_connector.runtime import Runtime, open_runtime


def create_app(
    settings: Settings, *, runtime: Runtime | None = None, inbox: Inbox | None = None
) -> FastAPI:
    """Build the app; opens (and upgrades) the database unless a runtime is handed in."""
    runtime = runtime or open_runtime(settings)
    app = FastAPI(
        title="smtp-connector",
        version=__version__,
        summary="The Logic Apps SMTP connector, self-hosted: send email through your own servers.",
    )
    app.state.services = Services(
        db=runtime.db,
        connections=runtime.connections,
        keys=runtime.keys,
        sender=runtime.sender,
        limits=settings.limits,
        inbox=inbox,
    )
    problems.install(app)
    for module in (health, connections, send, keys, inbox_api):
        app.include_router(module.router)
    return app
