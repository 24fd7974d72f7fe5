"""``/healthz`` (the process answers) and ``/readyz`` (the database answers, and the delivery
worker running in this process, if any, runs and can claim and renew its leases; so do the
workflow run engine and the scheduler of Recurrence and polling triggers)."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from fastapi import APIRouter
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from smtp_connector.api import openapi as doc
from smtp_connector.api.deps import ServicesDep
from smtp_connector.api.problems import problem
from smtp_connector.api.schemas.answers import Healthy, Ready

router = APIRouter(tags=["health"])


@router.get(
    "/healthz",
    response_model=None,
    responses={200: doc.answer("The process answers.", doc.ref(Healthy))},
)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=None,
    responses={
        200: doc.answer("Ready to take requests.", doc.ref(Ready)),
        **doc.problem(
            503,
            "Not ready: the database, the delivery worker or the workflow engine does not work.",
        ),
    },
)
async def readyz(services: ServicesDep) -> Any:
    def ping() -> None:
        with services.db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    try:
        await to_thread.run_sync(ping)
    except SQLAlchemyError:
        return problem(503, "database_unavailable", "Not ready", "The database does not answer.")
    trouble = services.worker.health if services.worker is not None else None
    if trouble is not None:
        return problem(503, "worker_unavailable", "Not ready", trouble)
    workflows = services.workflows
    for part in (workflows.engine, workflows.scheduler) if workflows is not None else ():
        if part is not None and part.health is not None:
            return problem(503, "workflows_unavailable", "Not ready", part.health)
    return {"status": "ready"}
