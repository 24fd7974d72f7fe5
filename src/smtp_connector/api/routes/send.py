"""``POST /v1/connections/{name}/send`` (alias ``.../SendEmailV3``): the Send Email action."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from smtp_connector.api.body import read_json
from smtp_connector.api.deps import SendKey, ServicesDep
from smtp_connector.api.problems import reply_json

router = APIRouter(prefix="/v1/connections", tags=["send"])

_EXAMPLE = {
    "From": "sender@example.com",
    "To": "recipient1@example.com;recipient2@example.com",
    "Subject": "New lead created",
    "Body": "<p>A new lead was created in Salesforce.</p>",
    "IsHtml": True,
}
_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}, "example": _EXAMPLE}},
    }
}


@router.post("/{name}/send", openapi_extra=_DOC)
@router.post("/{name}/SendEmailV3", openapi_extra=_DOC, include_in_schema=False)
async def send_email(
    name: str, request: Request, services: ServicesDep, _key: SendKey
) -> dict[str, Any]:
    """Send one email; takes the managed V3 (PascalCase) or built-in (camelCase) body.

    200 when the server took it for at least one recipient (refused ones are listed), 400 for bad
    input or when every recipient was refused, 403 for a sender outside the allow-list, 404 for
    an unknown connection, 413 when too large, 502 for a permanent SMTP failure and 503 (with
    Retry-After) for a transient one.
    """
    payload = await read_json(request, services.limits.max_request_bytes)
    outcome = await services.sender.send(name, payload)
    return {
        "messageId": outcome.message_id,
        "status": "sent",
        "accepted": list(outcome.accepted),
        "rejected": {addr: reply_json(reply) for addr, reply in outcome.rejected.items()},
        "response": str(outcome.response),
    }
