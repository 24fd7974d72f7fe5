"""Send Email: ``POST /v1/connections/{name}/send`` (alias ``.../SendEmailV3``) and ``send-batch``.

Every message is committed to the outbox before the answer. ``Prefer: respond-async`` answers 202
at once; otherwise the request waits for the first attempt (up to ``SEND_WAIT_SECONDS``): 200 when
sent, 202 when it will be retried (or is still being tried), the failure codes when it failed for
good. ``Idempotency-Key`` makes a retried request return the first answer instead of sending again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from smtp_connector.api.body import THREAD_PARSE_BYTES, read_json, read_json_sized
from smtp_connector.api.deps import SendKey, Services, ServicesDep
from smtp_connector.api.problems import reply_json, to_problem
from smtp_connector.api.schemas.send import (
    BATCH_ANSWERS,
    BATCH_BODY,
    IDEMPOTENCY_KEY,
    PREFER,
    SEND_ANSWERS,
    SEND_BODY,
)
from smtp_connector.errors import ConnectorError, InvalidInput
from smtp_connector.keys import ApiKey
from smtp_connector.logs import log_event
from smtp_connector.outbox.faults import describe
from smtp_connector.outbox.store import IdempotencyRequest, IdempotentReplay
from smtp_connector.outbox.submit import Accepted, Failed, Sent, Submission
from smtp_connector.outbox.types import MessageStatus, OutboxMessage
from smtp_connector.sending import SendResult

router = APIRouter(prefix="/v1/connections", tags=["send"])

RETRY_AFTER_ACCEPTED = "5"


def _wants_async(prefer: str | None) -> bool:
    return prefer is not None and any(
        p.strip().lower() == "respond-async" for p in prefer.split(",")
    )


def _accepted_body(item: Accepted) -> dict[str, Any]:
    location = f"/v1/messages/{item.id}"
    return {
        "id": item.id,
        "messageId": item.message_id,
        "status": item.status.value,
        "location": location,
    }


def _accepted(item: Accepted) -> JSONResponse:
    body = _accepted_body(item)
    return JSONResponse(
        body,
        status_code=202,
        headers={"Location": body["location"], "Retry-After": RETRY_AFTER_ACCEPTED},
    )


def _sent_body(id: str, result: SendResult, follow_up: str | None) -> dict[str, Any]:
    return {
        "id": id,
        "messageId": result.message_id,
        "status": "sent",
        "accepted": list(result.accepted),
        "rejected": {
            a: reply_json(r) | ({"retriedAs": follow_up} if r.is_transient and follow_up else {})
            for a, r in result.rejected.items()
        },
        "response": str(result.response),
    }


def _answer(submission: Submission) -> JSONResponse:
    if isinstance(submission, Accepted):
        return _accepted(submission)
    if isinstance(submission, Sent):
        return JSONResponse(_sent_body(submission.id, submission.result, submission.follow_up))
    failed: Failed = submission
    return to_problem(failed.error).response(id=failed.id)


async def _idempotency(
    key: ApiKey, header: str | None, name: str, payload: object, ttl: float
) -> IdempotencyRequest | None:
    """The request's ``Idempotency-Key`` with a digest of what it asks for (hashed on a worker
    thread: a body may be tens of megabytes)."""
    if header is None:
        return None
    if not 1 <= len(header) <= 255 or not header.isprintable():
        raise InvalidInput.field("Idempotency-Key", "must be 1-255 printable characters")
    digest = await to_thread.run_sync(_digest, name, payload)
    return IdempotencyRequest(scope=key.id, key=header, request_hash=digest, ttl_seconds=ttl)


def _digest(name: str, payload: object) -> str:
    canonical = json.dumps([name, payload], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


async def _replay(replay: IdempotentReplay, services: Services) -> Response:
    """The first request's answer; when it saved none (it is still running, or its process
    died), the answer is read from its message: 200 once sent, else 202 with ``Location``."""
    headers = {"Idempotent-Replayed": "true"}
    if replay.status_code is None:
        message = await to_thread.run_sync(services.outbox.get, replay.message_ids[0])
        if message.status is MessageStatus.SENT:
            return JSONResponse(message_answer(message), headers=headers)
        response = _accepted(Accepted(message.id, message.message_id, message.status))
        response.headers.update(headers)
        return response
    body = replay.response or {}
    if replay.status_code == 202 and "location" in body:
        headers["Location"] = str(body["location"])
        headers["Retry-After"] = RETRY_AFTER_ACCEPTED
    media = "application/problem+json" if replay.status_code >= 400 else "application/json"
    return JSONResponse(body, status_code=replay.status_code, headers=headers, media_type=media)


def message_answer(message: OutboxMessage) -> dict[str, Any]:
    """The 200 answer of a sent message, as its first request gave it."""
    return {
        "id": message.id,
        "messageId": message.message_id,
        "status": "sent",
        "accepted": list(message.accepted),
        "rejected": message.rejected,
        "response": message.response,
    }


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
    payload, size = await read_json_sized(request, services.limits.max_request_bytes)
    idem = await _idempotency(key, idempotency_key, name, payload, services.idempotency_ttl_seconds)
    wait = not _wants_async(prefer)
    try:
        submission = await services.sender.submit(
            name,
            payload,
            wait=wait,
            idempotency=idem,
            answer=_saved_accepted,
            inline=size <= THREAD_PARSE_BYTES,
        )
    except IdempotentReplay as replay:
        return await _replay(replay, services)
    response = _answer(submission)
    if idem is not None and wait:  # an async answer was saved with the key at commit
        try:
            await services.outbox.save_idempotent_response_async(
                idem.scope,
                idem.key,
                response.status_code,
                json.loads(bytes(response.body)),
            )
        except SQLAlchemyError as exc:  # the message is committed: answer; a repeat reads it
            log_event("send.answer_not_saved", logging.WARNING, error=describe(exc))
    return response


def _saved_accepted(item: Accepted) -> tuple[int, dict[str, Any]]:
    return 202, _accepted_body(item)


@router.post(
    "/{name}/send-batch", status_code=202, openapi_extra=BATCH_BODY, responses=BATCH_ANSWERS
)
async def send_batch(
    name: str,
    request: Request,
    services: ServicesDep,
    key: SendKey,
    idempotency_key: Annotated[str | None, Header(description=IDEMPOTENCY_KEY)] = None,
) -> Response:
    """Up to ``MAX_BATCH`` messages: ``{"messages": [body, ...]}``; every valid one is committed
    in one transaction and the answer (202) has one id or one problem per item, in order.
    ``Idempotency-Key`` makes a repeat return the first answer (saved in that transaction)."""
    data = await read_json(request, services.limits.max_request_bytes)
    if isinstance(data, dict) and set(data) == {"messages"}:
        data = data["messages"]
    if not isinstance(data, list) or not data:
        raise InvalidInput.field("messages", "send a non-empty list of Send Email bodies")
    scope = f"{name}/send-batch"
    idem = await _idempotency(key, idempotency_key, scope, data, services.idempotency_ttl_seconds)
    try:
        results = await services.sender.submit_batch(
            name, data, idempotency=idem, answer=_batch_answer
        )
    except IdempotentReplay as replay:
        return await _replay(replay, services)
    status, body = _batch_answer(results)
    media = "application/json" if status == 202 else "application/problem+json"
    return JSONResponse(body, status_code=status, media_type=media)


def _batch_answer(results: list[Accepted | ConnectorError]) -> tuple[int, dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for index, item in enumerate(results):
        if isinstance(item, Accepted):
            items.append({"index": index} | _accepted_body(item))
        else:
            items.append({"index": index, "problem": to_problem(item).body})
    queued = sum(1 for r in results if isinstance(r, Accepted))
    body: dict[str, Any] = {"queued": queued, "rejected": len(results) - queued, "items": items}
    if queued:
        return 202, body
    body.update(
        {
            "type": "urn:smtp-connector:problem:invalid_input",
            "title": "Invalid request",
            "status": 400,
            "code": "invalid_input",
            "detail": "No message in the batch is valid.",
        }
    )
    return 400, body
