"""``/v1/inbox``: what the built-in local inbox captured (only while ``serve`` runs it)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from smtp_connector.api.deps import SendKey, ServicesDep
from smtp_connector.api.openapi import answer, problem, ref
from smtp_connector.api.schemas.answers import InboxList
from smtp_connector.api.schemas.fields import rfc3339
from smtp_connector.errors import NotFound
from smtp_connector.inbox import Inbox, InboxMessage

router = APIRouter(prefix="/v1/inbox", tags=["inbox"])


def _inbox(services: ServicesDep) -> Inbox:
    if services.inbox is None:
        raise NotFound("The local inbox is not running (start serve without --no-inbox).")
    return services.inbox


def _summary_json(message: InboxMessage) -> dict[str, Any]:
    summary = message.summary
    return {
        "id": message.id,
        "receivedAt": rfc3339(message.received_at),
        "mailFrom": message.mail_from,
        "rcptTo": list(message.rcpt_to),
        "from": summary.from_,
        "to": summary.to,
        "cc": summary.cc,
        "subject": summary.subject,
        "messageId": summary.message_id,
        "size": len(message.data),
        "attachments": list(summary.attachments),
        "preview": summary.preview,
    }


_NOT_RUNNING = problem(404, "The local inbox is not running (or has no such message).")


@router.get(
    "",
    response_model=None,
    responses={200: answer("Captured messages.", ref(InboxList)), **_NOT_RUNNING},
)
async def list_inbox(services: ServicesDep, _key: SendKey) -> dict[str, Any]:
    """Captured messages, newest first (summaries made when each message arrived)."""
    messages = _inbox(services).messages()
    return {"messages": [_summary_json(m) for m in reversed(messages)]}


@router.get(
    "/{message_id}/raw",
    response_class=Response,
    responses={
        200: answer("The message as received.", {"type": "string"}, media_type="message/rfc822"),
        **_NOT_RUNNING,
    },
)
async def raw_message(message_id: int, services: ServicesDep, _key: SendKey) -> Response:
    """The exact bytes the inbox received, as ``message/rfc822``."""
    message = _inbox(services).get(message_id)
    if message is None:
        raise NotFound(f"The local inbox has no message {message_id}.")
    return Response(message.data, media_type="message/rfc822")


@router.delete("", status_code=204, responses=_NOT_RUNNING)
async def clear_inbox(services: ServicesDep, _key: SendKey) -> Response:
    _inbox(services).clear()
    return Response(status_code=204)
