"""``/v1/workflows``: save Logic Apps workflow definitions, enable and disable them, get their
triggers' callback URLs, fire triggers by hand, and read runs, action records and histories.
Admin key."""

from __future__ import annotations

from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from smtp_connector.api.body import read_json
from smtp_connector.api.deps import AdminKey, Services, ServicesDep
from smtp_connector.api.openapi import answer, body, problems
from smtp_connector.api.schemas.workflows import (
    WORKFLOW_DOCUMENT,
    action_json,
    history_json,
    run_json,
    workflow_json,
)
from smtp_connector.errors import ConfigurationError, InvalidInput
from smtp_connector.logs import log_event
from smtp_connector.workflows.service import WorkflowService
from smtp_connector.workflows.statuses import Status

router = APIRouter(prefix="/v1/workflows", tags=["workflows"])

MAX_PAGE = 250
DEFAULT_PAGE = 50


def _service(services: Services) -> WorkflowService:
    if services.workflows is None:
        raise ConfigurationError("workflows are not configured in this process")
    return services.workflows


@router.put(
    "/{name}",
    openapi_extra=body(WORKFLOW_DOCUMENT),
    responses={
        200: answer("Replaced (a new version)."),
        201: answer("Created."),
        **problems(400, 413),
    },
)
async def put_workflow(
    name: str, request: Request, services: ServicesDep, _key: AdminKey
) -> JSONResponse:
    """Create or replace a workflow; every problem is reported with its JSON pointer."""
    service = _service(services)
    document = await read_json(request, services.limits.max_request_bytes)
    stored, created = await service.save(name, document)
    log_event("workflow.saved", workflow=name, version=stored.version, created=created)
    return JSONResponse(
        workflow_json(stored),
        status_code=201 if created else 200,
        headers={"Location": f"/v1/workflows/{name}"},
    )


@router.get("", responses={200: answer("`{value: [workflow, ...]}`")})
async def list_workflows(services: ServicesDep, _key: AdminKey) -> dict[str, Any]:
    stored = await to_thread.run_sync(_service(services).store.all)
    return {"value": [workflow_json(s) for s in stored]}


@router.get("/{name}", responses=problems(404))
async def get_workflow(name: str, services: ServicesDep, _key: AdminKey) -> dict[str, Any]:
    stored = await to_thread.run_sync(_service(services).store.get, name)
    return workflow_json(stored)


@router.delete("/{name}", status_code=204, responses=problems(404))
async def delete_workflow(name: str, services: ServicesDep, _key: AdminKey) -> Response:
    """Delete the workflow with its runs and histories."""
    await to_thread.run_sync(_service(services).delete, name)
    log_event("workflow.deleted", workflow=name)
    return Response(status_code=204)


@router.post("/{name}/enable", responses=problems(404))
async def enable_workflow(name: str, services: ServicesDep, _key: AdminKey) -> dict[str, Any]:
    return workflow_json(await _service(services).set_state(name, True))


@router.post("/{name}/disable", responses=problems(404))
async def disable_workflow(name: str, services: ServicesDep, _key: AdminKey) -> dict[str, Any]:
    """A disabled workflow's triggers do not fire; its Request triggers answer 409."""
    return workflow_json(await _service(services).set_state(name, False))


@router.post("/{name}/triggers/{trigger}/listCallbackUrl", responses=problems(404))
async def list_callback_url(
    name: str, trigger: str, request: Request, services: ServicesDep, _key: AdminKey
) -> dict[str, object]:
    """The signed URL that fires a Request trigger (ARM's ``WorkflowTriggerCallbackUrl``)."""
    service = _service(services)
    base = service.public_url or str(request.base_url)
    return await to_thread.run_sync(service.callback_url, name, trigger, base)


@router.post("/{name}/regenerateAccessKey", status_code=204, responses=problems(404))
@router.post(
    "/{name}/triggers/{trigger}/regenerateAccessKey", status_code=204, responses=problems(404)
)
async def regenerate_access_key(
    name: str, services: ServicesDep, _key: AdminKey, trigger: str | None = None
) -> Response:
    """A new key signs callback URLs: every URL handed out before stops working."""
    await to_thread.run_sync(_service(services).regenerate_access_key, name)
    log_event("workflow.access_key_regenerated", workflow=name)
    return Response(status_code=204)


@router.post("/{name}/triggers/{trigger}/run", status_code=202, responses=problems(404, 409))
async def run_trigger(
    name: str, trigger: str, services: ServicesDep, _key: AdminKey
) -> dict[str, Any]:
    """Fire any trigger by hand (enabled or not); answers the runs it started."""
    fired = await _service(services).run_trigger(name, trigger)
    return {"fired": fired.fired, "runs": fired.runs}


@router.get("/{name}/triggers/{trigger}/histories", responses=problems(404))
async def trigger_histories(
    name: str,
    trigger: str,
    services: ServicesDep,
    _key: AdminKey,
    top: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
) -> dict[str, Any]:
    """Each firing or poll of the trigger, newest first."""
    entries = await to_thread.run_sync(_service(services).store.histories, name, trigger, top)
    return {"value": [history_json(e) for e in entries]}


@router.get("/{name}/runs", responses=problems(400, 404))
async def list_runs(
    name: str,
    request: Request,
    services: ServicesDep,
    _key: AdminKey,
    status: Annotated[str | None, Query(description="Only runs with this status.")] = None,
    top: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    after: Annotated[
        str | None, Query(max_length=40, description="The cursor of nextLink.")
    ] = None,
) -> dict[str, Any]:
    """Runs, newest first; ``nextLink`` fetches the next page."""
    wanted = None
    if status is not None:
        parsed = Status.parse(status)
        if parsed is None:
            raise InvalidInput.field("status", f"{status!r} is not a run status")
        wanted = parsed.value
    runs = await to_thread.run_sync(
        lambda: _service(services).store.runs(name, status=wanted, after=after, limit=top + 1)
    )
    page = runs[:top]
    answer_: dict[str, Any] = {"value": [run_json(r) for r in page]}
    if len(runs) > top:
        next_url = request.url.include_query_params(after=page[-1].id)
        answer_["nextLink"] = str(next_url)
    return answer_


@router.get("/{name}/runs/{run}", responses=problems(404))
async def get_run(name: str, run: str, services: ServicesDep, _key: AdminKey) -> dict[str, Any]:
    return run_json(await to_thread.run_sync(_service(services).store.run, name, run))


@router.get("/{name}/runs/{run}/actions", responses=problems(404))
async def list_run_actions(
    name: str, run: str, services: ServicesDep, _key: AdminKey
) -> dict[str, Any]:
    """Each action of the run, in the order they ran; actions inside loops once per
    repetition, with ``repetitionIndexes``."""
    service = _service(services)
    stored = await to_thread.run_sync(service.store.run, name, run)
    records = await to_thread.run_sync(service.store.actions, name, run)
    try:
        definition = await service.definition(name, stored.version)
    except InvalidInput:
        definition = None
    return {"value": [action_json(r, definition) for r in records]}


@router.post("/{name}/runs/{run}/cancel", responses=problems(404))
async def cancel_run(name: str, run: str, services: ServicesDep, _key: AdminKey) -> dict[str, Any]:
    """Stop a run: a running run stops before its next action; a waiting one at once."""
    stored = await to_thread.run_sync(_service(services).runs.request_cancel, name, run)
    log_event("workflow.run_cancel_requested", workflow=name, run=run)
    return run_json(stored)


@router.post("/{name}/runs/{run}/resubmit", status_code=202, responses=problems(404))
async def resubmit_run(
    name: str, run: str, services: ServicesDep, _key: AdminKey
) -> dict[str, Any]:
    """A new run from the same trigger outputs."""
    fired = await _service(services).resubmit(name, run)
    return {"runs": fired.runs}
