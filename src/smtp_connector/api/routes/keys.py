"""``/v1/keys``: API keys for admins (the CLI offers the same)."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Request

from smtp_connector.api.body import read_model
from smtp_connector.api.deps import AdminKey, ServicesDep
from smtp_connector.api.openapi import answer, body, problems, ref
from smtp_connector.api.schemas import ApiKeyCreate, ApiKeyPublic
from smtp_connector.api.schemas.keys import ApiKeyCreated

router = APIRouter(prefix="/v1/keys", tags=["keys"])


@router.post(
    "",
    status_code=201,
    response_model=None,
    openapi_extra=body(ref(ApiKeyCreate, "validation")),
    responses={
        201: answer("Created; `key` is shown only now.", ref(ApiKeyCreated)),
        **problems(413),
    },
)
async def create_key(request: Request, services: ServicesDep, _key: AdminKey) -> dict[str, Any]:
    """Create a key; the answer is the only time its value is shown."""
    body = await read_model(request, ApiKeyCreate)
    new = await to_thread.run_sync(services.keys.create, body.name, body.scope)
    public = ApiKeyPublic.of(new.key).model_dump(by_alias=True, mode="json")
    return {**public, "key": new.secret}


@router.get("", response_model=list[ApiKeyPublic])
async def list_keys(services: ServicesDep, _key: AdminKey) -> list[ApiKeyPublic]:
    return [ApiKeyPublic.of(k) for k in await to_thread.run_sync(services.keys.list)]


@router.delete("/{key_id}", response_model=ApiKeyPublic, responses=problems(404))
async def revoke_key(key_id: str, services: ServicesDep, _key: AdminKey) -> ApiKeyPublic:
    return ApiKeyPublic.of(await to_thread.run_sync(services.keys.revoke, key_id))
