"""``/v1/messages``: the outbox: a message's status and attempts, listing, retry and cancel."""

from __future__ import annotations

from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Query

from smtp_connector.api.deps import SendKey, ServicesDep
from smtp_connector.api.openapi import answer, problems, ref
from smtp_connector.api.schemas.answers import MessageDetail, MessagePage, MessageView
from smtp_connector.api.schemas.fields import NAME_PATTERN, QueryTime, rfc3339, rfc3339_or_none
from smtp_connector.errors import MessageNotFound
from smtp_connector.outbox.types import MessageStatus, OutboxMessage

router = APIRouter(prefix="/v1/messages", tags=["messages"])


def message_json(m: OutboxMessage, *, detail: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": m.id,
        "connection": m.connection,
        "status": m.status.value,
        "messageId": m.message_id,
        "from": m.mail_from,
        "recipients": list(m.rcpt_to),
        "size": m.size,
        "attemptCount": m.attempt_count,
        "createdAt": rfc3339(m.created_at),
        "updatedAt": rfc3339(m.updated_at),
        "nextAttemptAt": rfc3339_or_none(m.next_attempt_at),
        "sentAt": rfc3339_or_none(m.sent_at),
        "accepted": list(m.accepted),
        "rejected": m.rejected,
        "response": m.response,
        "lastError": m.last_error,
        "outcomeUnknown": m.outcome_unknown,
    }
    if detail:
        body["attempts"] = [
            {
                "number": a.number,
                "worker": a.worker,
                "startedAt": rfc3339(a.started_at),
                "finishedAt": rfc3339_or_none(a.finished_at),
                "outcome": a.outcome.value if a.outcome else None,
                "smtpCode": a.smtp_code,
                "enhancedCode": a.enhanced_code,
                "response": a.response,
                "errorCode": a.error_code,
                "error": a.error,
            }
            for a in m.attempts
        ]
    return body


@router.get(
    "", response_model=None, responses={200: answer("A page of messages.", ref(MessagePage))}
)
async def list_messages(
    services: ServicesDep,
    _key: SendKey,
    status: MessageStatus | None = None,
    connection: Annotated[str | None, Query(pattern=NAME_PATTERN)] = None,
    since: QueryTime | None = None,
    until: QueryTime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Newest first; pass ``nextCursor`` back as ``cursor`` for the next page."""
    items, next_cursor = await to_thread.run_sync(
        lambda: services.outbox.list(
            status=status,
            connection=connection,
            since=since,
            until=until,
            limit=limit,
            cursor=cursor,
        )
    )
    return {"messages": [message_json(m, detail=False) for m in items], "nextCursor": next_cursor}


_CHANGED = {
    200: answer("The message, changed.", ref(MessageView)),
    **problems(404),
    409: problems(409)[409] | {"description": "The message's status does not allow this."},
}


def _known(message_id: str) -> str:
    """``message_id``, or MessageNotFound when no message can have it: ids never hold a NUL,
    and PostgreSQL refuses one in a query."""
    if "\x00" in message_id:
        raise MessageNotFound(message_id)
    return message_id


@router.get(
    "/{message_id}",
    response_model=None,
    responses={200: answer("The message.", ref(MessageDetail)), **problems(404)},
)
async def get_message(message_id: str, services: ServicesDep, _key: SendKey) -> dict[str, Any]:
    message = await to_thread.run_sync(services.outbox.get, _known(message_id))
    return message_json(message, detail=True)


@router.post("/{message_id}/retry", response_model=None, responses=_CHANGED)
async def retry_message(message_id: str, services: ServicesDep, _key: SendKey) -> dict[str, Any]:
    """Queue a failed (or cancelled) message again, keeping its Message-ID."""
    message = await to_thread.run_sync(services.outbox.retry, _known(message_id))
    services.wake_workers()
    return message_json(message, detail=False)


@router.post("/{message_id}/cancel", response_model=None, responses=_CHANGED)
async def cancel_message(message_id: str, services: ServicesDep, _key: SendKey) -> dict[str, Any]:
    """Cancel a message that is queued or waiting for a retry."""
    message = await to_thread.run_sync(services.outbox.cancel, _known(message_id))
    return message_json(message, detail=False)
