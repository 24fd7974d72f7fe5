"""Send Email: ``POST /v1/connections/{name}/send`` (alias ``.../SendEmailV3``) and ``send-batch``.

Every message is committed to the outbox before the answer. ``Prefer: respond-async`` answers 202
at once; otherwise the request waits for the first attempt (up to ``SEND_WAIT_SECONDS``): 200 when
sent, 202 when it will be retried (or is still being tried), the failure codes when it failed for
good. ``Idempotency-Key`` makes a retried request return the first answer instead of sending again.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import JSONResponse

from smtp_connector.api.body import read_json
from smtp_connector.api.deps import SendKey, ServicesDep
from smtp_connector.api.problems import error_response, reply_json, to_problem
from smtp_connector.api.schemas.send import (
    BATCH_ANSWERS,
    BATCH_BODY,
    IDEMPOTENCY_KEY,
    PREFER,
    SEND_ANSWERS,
    SEND_BODY,
)
from smtp_connector.errors import InvalidInput
from smtp_connector.keys import ApiKey
from smtp_connector.outbox.store import IdempotencyRequest, IdempotentReplay
from smtp_connector.outbox.submit import Accepted, Failed, Sent, Submission

router = APIRouter(prefix="/v1/connections", tags=["send"])

RETRY_AFTER_ACCEPTED = "5"


def _wants_async(prefer: str | None) -> bool:
    return prefer is not None and any(
        p.strip().lower() == "respond-async" for p in prefer.split(",")
    )


def _accepted(item: Accepted) -> JSONResponse:
    location = f"/v1/messages/{item.id}"
    body = {
        "id": item.id,
        "messageId": item.message_id,
        "status": item.status.value,
        "location": location,
    }
    return JSONResponse(
        body, status_code=202, headers={"Location": location, "Retry-After": RETRY_AFTER_ACCEPTED}
    )


def _answer(submission: Submission) -> JSONResponse:
    if isinstance(submission, Accepted):
        return _accepted(submission)
    if isinstance(submission, Sent):
        result = submission.result
        return JSONResponse(
            {
                "id": submission.id,
                "messageId": result.message_id,
                "status": "sent",
                "accepted": list(result.accepted),
                "rejected": {
                    a: reply_json(r)
                    | ({"retriedAs": submission.follow_up} if r.is_transient else {})
                    for a, r in result.rejected.items()
                },
                "response": str(result.response),
            }
        )
    failed: Failed = submission
    return to_problem(failed.error).response(id=failed.id)


def _idempotency(
    key: ApiKey, header: str | None, name: str, payload: object, ttl: float
) -> IdempotencyRequest | None:
    if header is None:
        return None
    if not 1 <= len(header) <= 255 or not header.isprintable():
        raise InvalidInput.field("Idempotency-Key", "must be 1-255 printable characters")
    canonical = json.dumps([name, payload], sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return IdempotencyRequest(scope=key.id, key=header, request_hash=digest, ttl_seconds=ttl)


def _replay(replay: IdempotentReplay) -> Response:
    if replay.status_code is None:  # the first request has not answered yet: 409
        return error_response(replay)
    headers = {"Idempotent-Replayed": "true"}
    body = replay.response or {}
    if replay.status_code == 202 and "location" in body:
        headers["Location"] = str(body["location"])
    media = "application/problem+json" if replay.status_code >= 400 else "application/json"
    return JSONResponse(body, status_code=replay.status_code, headers=headers, media_type=media)


@router.post("/{name}/send", openapi_extra=SEND_BODY, responses=SEND_ANSWERS)
@router.post("/{name}/SendEmailV3", include_in_schema=False)
async def send_email(
    name: str,
    request: Request,
    services: ServicesDep,
    key: SendKey,
    prefer: Annotated[str | None, Header(description=PREFER)] = None,
    idempotency_key: Annotated[str | None, Header(description=IDEMPOTENCY_KEY)] = None,
) -> Response:
    """Send one email; takes the managed V3 (PascalCase) or built-in (camelCase) body."""
    payload = await read_json(request, services.limits.max_request_bytes)
    idem = _idempotency(key, idempotency_key, name, payload, services.idempotency_ttl_seconds)
    try:
        submission = await services.sender.submit(
            name, payload, wait=not _wants_async(prefer), idempotency=idem
        )
    except IdempotentReplay as replay:
        return _replay(replay)
    response = _answer(submission)
    if idem is not None:
        await to_thread.run_sync(
            services.outbox.save_idempotent_response,
            idem.scope,
            idem.key,
            response.status_code,
            json.loads(bytes(response.body)),
        )
    return response


@router.post(
    "/{name}/send-batch", status_code=202, openapi_extra=BATCH_BODY, responses=BATCH_ANSWERS
)
async def send_batch(
    name: str, request: Request, services: ServicesDep, _key: SendKey
) -> JSONResponse:
    """Up to ``MAX_BATCH`` messages: ``{"messages": [body, ...]}``; every valid one is committed
    in one transaction and the answer (202) has one id or one problem per item, in order."""
    data = await read_json(request, services.limits.max_request_bytes)
    if isinstance(data, dict) and set(data) == {"messages"}:
        data = data["messages"]
    if not isinstance(data, list) or not data:
        raise InvalidInput.field("messages", "send a non-empty list of Send Email bodies")
    results = await services.sender.submit_batch(name, data)
    items: list[dict[str, Any]] = []
    for index, item in enumerate(results):
        if isinstance(item, Accepted):
            items.append(
                {
                    "index": index,
                    "id": item.id,
                    "messageId": item.message_id,
                    "status": item.status.value,
                    "location": f"/v1/messages/{item.id}",
                }
            )
        else:
            items.append({"index": index, "problem": to_problem(item).body})
    queued = sum(1 for r in results if isinstance(r, Accepted))
    status = 202 if queued else 400
    body = {"queued": queued, "rejected": len(results) - queued, "items": items}
    media = "application/json" if queued else "application/problem+json"
    if not queued:
        body.update(
            {
                "type": "urn:smtp-connector:problem:invalid_input",
                "title": "Invalid request",
                "status": 400,
                "code": "invalid_input",
                "detail": "No message in the batch is valid.",
            }
        )
    return JSONResponse(body, status_code=status, media_type=media)
