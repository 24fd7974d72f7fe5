"""``/v1/messages``: the outbox: a message's status and attempts, listing, retry and cancel."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Query

from smtp_connector.api.deps import SendKey, ServicesDep
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
        "createdAt": m.created_at.isoformat(),
        "updatedAt": m.updated_at.isoformat(),
        "nextAttemptAt": m.next_attempt_at.isoformat() if m.next_attempt_at else None,
        "sentAt": m.sent_at.isoformat() if m.sent_at else None,
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
                "startedAt": a.started_at.isoformat(),
                "finishedAt": a.finished_at.isoformat() if a.finished_at else None,
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


@router.get("")
async def list_messages(
    services: ServicesDep,
    _key: SendKey,
    status: MessageStatus | None = None,
    connection: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
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


@router.get("/{message_id}")
async def get_message(message_id: str, services: ServicesDep, _key: SendKey) -> dict[str, Any]:
    return message_json(await to_thread.run_sync(services.outbox.get, message_id), detail=True)


@router.post("/{message_id}/retry")
async def retry_message(message_id: str, services: ServicesDep, _key: SendKey) -> dict[str, Any]:
    """Queue a failed (or cancelled) message again, keeping its Message-ID."""
    message = await to_thread.run_sync(services.outbox.retry, message_id)
    services.wake_workers()
    return message_json(message, detail=False)


@router.post("/{message_id}/cancel")
async def cancel_message(message_id: str, services: ServicesDep, _key: SendKey) -> dict[str, Any]:
    """Cancel a message that is queued or waiting for a retry."""
    return message_json(await to_thread.run_sync(services.outbox.cancel, message_id), detail=False)
