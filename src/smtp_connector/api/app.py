"""The FastAPI application: routers, error handlers, the services they share, and the
delivery worker that runs beside the API unless it is turned off."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from smtp_connector import __version__
from smtp_connector.api import openapi, problems
from smtp_connector.api.deps import Services
from smtp_connector.api.routes import (
    connections,
    health,
    invoke,
    keys,
    messages,
    metrics,
    send,
    workflows,
)
from smtp_connector.api.routes import inbox as inbox_api
from smtp_connector.config import SERVE_WORKER_ENV, Settings
from smtp_connector.inbox import Inbox
from smtp_connector.logs import configure, log_event
from smtp_connector.outbox.faults import describe
from smtp_connector.runtime import Runtime, open_runtime


def create_app(
    settings: Settings,
    *,
    runtime: Runtime | None = None,
    inbox: Inbox | None = None,
    worker: bool = False,
) -> FastAPI:
    """Build the app; opens (and upgrades) the database unless a runtime is handed in.

    With ``worker=True`` a delivery worker runs in the app's lifespan and drains on shutdown.
    """
    runtime = runtime or open_runtime(settings)
    services = Services(
        db=runtime.db,
        connections=runtime.connections,
        keys=runtime.keys,
        outbox=runtime.outbox,
        sender=runtime.sender,
        limits=settings.limits,
        idempotency_ttl_seconds=settings.idempotency_ttl_seconds,
        inbox=inbox,
        worker=runtime.worker() if worker else None,
        workflows=runtime.workflows,
        salesforce=runtime.salesforce,
    )
    runtime.sender.on_enqueue = services.wake_workers
    engine = runtime.run_engine() if worker else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        # The heartbeat renews the leases of the API's own first attempts, worker or not.
        async with runtime.deliverer.keeper.running():
            task = asyncio.create_task(services.worker.run(stop)) if services.worker else None
            if task is not None:
                task.add_done_callback(_report_worker_end)
            runs = asyncio.create_task(engine.serve(stop)) if engine is not None else None
            ticks = asyncio.create_task(runtime.scheduler().serve(stop)) if engine else None
            try:
                yield
            finally:
                stop.set()
                if engine is not None:
                    await engine.close()
                for background in (task, runs, ticks):
                    if background is not None:
                        await asyncio.gather(background, return_exceptions=True)
                await runtime.sender.drain()
                await runtime.pool.close()
                await asyncio.to_thread(runtime.writes.close)

    app = FastAPI(
        title="smtp-connector",
        version=__version__,
        summary="The Logic Apps SMTP connector, self-hosted: send email through your own servers.",
        lifespan=lifespan,
    )
    app.state.services = services
    problems.install(app)
    openapi.install(app)
    for module in (
        health,
        metrics,
        connections,
        send,
        messages,
        keys,
        inbox_api,
        workflows,
        invoke,
    ):
        app.include_router(module.router)
    return app


def app_from_environment() -> FastAPI:
    """The app of one process of ``serve --workers N`` (uvicorn calls it in each process),
    from the settings its parent put in the environment."""
    settings = Settings()
    configure(settings.log_level)
    worker = os.environ.get(SERVE_WORKER_ENV, "true") == "true"
    return create_app(settings, worker=worker)


def _report_worker_end(task: asyncio.Task[None]) -> None:
    """The worker only ends when asked to; if it ever ends otherwise, say so (``/readyz``
    answers 503 from then on, as the worker reports itself not running)."""
    error = None if task.cancelled() else task.exception()
    if error is not None:
        log_event("worker.crashed", logging.CRITICAL, error=describe(error))
