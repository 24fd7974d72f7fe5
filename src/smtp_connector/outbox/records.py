"""Between rows and values: new message rows, stored messages, error records, list cursors."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from smtp_connector.errors import DeliveryError, InvalidInput, RecipientsRefused, ReplyError
from smtp_connector.mail.message import ComposedMessage, Envelope
from smtp_connector.mail.replies import SmtpReply
from smtp_connector.outbox.types import (
    Attempt,
    AttemptOutcome,
    Claimed,
    MessageStatus,
    OutboxMessage,
)
from smtp_connector.store.models import AttemptRow, MessageRow, as_utc, checked_utc


def message_rows(
    connection: str,
    messages: Sequence[ComposedMessage],
    ids: Sequence[str],
    now: datetime,
    *,
    due: Sequence[datetime] | None = None,
) -> list[dict[str, Any]]:
    """New ``messages`` rows, queued, each due at its ``due`` (default ``now``)."""
    due = due or [now] * len(messages)
    return [
        {
            "id": outbox_id,
            "connection": connection,
            "status": MessageStatus.QUEUED.value,
            "message_id": message.message_id,
            "mail_from": message.envelope.mail_from,
            "rcpt_to": list(message.envelope.rcpt_to),
            "smtputf8": message.envelope.smtputf8,
            "dsn": message.envelope.dsn,
            "data": message.data,
            "size": len(message.data),
            "attempt_count": 0,
            "next_attempt_at": due_at,
            "lease_owner": None,
            "lease_token": None,
            "lease_expires_at": None,
            "created_at": now,
            "updated_at": now,
            "sent_at": None,
            "accepted": [],
            "rejected": {},
            "response": None,
            "last_error": None,
            "outcome_unknown": False,
        }
        for outbox_id, message, due_at in zip(ids, messages, due, strict=True)
    ]


def leased(row: dict[str, Any], worker: str, token: str, expires: datetime) -> dict[str, Any]:
    """``row`` (from ``message_rows``) leased at once to ``worker`` with attempt #1 begun."""
    return row | {
        "status": MessageStatus.SENDING.value,
        "attempt_count": 1,
        "lease_owner": worker,
        "lease_token": token,
        "lease_expires_at": expires,
    }


def claimed_from(row: Any, data: bytes, token: str, *, reclaimed: bool) -> Claimed:
    """A row returned by ``queries.CLAIM_DUE`` or (``reclaimed``) ``queries.CLAIM_EXPIRED``,
    with its message's bytes, claimed under ``token``."""
    return Claimed(
        id=row.id,
        connection=row.connection,
        message_id=row.message_id,
        envelope=Envelope(
            mail_from=row.mail_from,
            rcpt_to=tuple(row.rcpt_to),
            smtputf8=bool(row.smtputf8),
            dsn=bool(row.dsn),
        ),
        data=data,
        attempt=row.attempt_count,
        queued_at=row.created_at,
        token=token,
        reclaimed=reclaimed,
    )


def reply_json(reply: SmtpReply) -> dict[str, Any]:
    return {"code": reply.code, "enhancedCode": reply.enhanced_code, "message": reply.message}


def rejected_json(rejected: Mapping[str, SmtpReply]) -> dict[str, Any]:
    return {address: reply_json(reply) for address, reply in rejected.items()}


def error_json(error: DeliveryError, reason: str) -> dict[str, Any]:
    """``last_error``: what failed, the server's reply if any, and why it will (not) retry."""
    reply = error.reply if isinstance(error, ReplyError) else None
    record: dict[str, Any] = {
        "code": error.code,
        "message": error.message,
        "smtpCode": reply.code if reply else None,
        "enhancedCode": reply.enhanced_code if reply else None,
        "retryable": error.retryable,
        "reason": reason,
    }
    if error.hint:
        record["hint"] = error.hint
    if error.outcome_unknown:
        record["outcomeUnknown"] = True
    if isinstance(error, RecipientsRefused):
        record["refusals"] = rejected_json(error.refusals)
    return record


def closed_attempt(
    outcome: AttemptOutcome,
    reply: SmtpReply | None,
    error: DeliveryError | None = None,
) -> dict[str, Any]:
    """Parameters of ``queries.CLOSE_ATTEMPT`` (without ``b_id``, ``b_number``, ``b_now``)."""
    return {
        "b_outcome": outcome.value,
        "b_smtp_code": reply.code if reply else None,
        "b_enhanced_code": reply.enhanced_code if reply else None,
        "b_response": str(reply) if reply else None,
        "b_error_code": error.code[:64] if error else None,
        "b_error": error.message if error else None,
    }


def failed_attempt(error: DeliveryError) -> dict[str, Any]:
    """How an attempt that ended with ``error`` is closed."""
    if error.outcome_unknown:
        outcome = AttemptOutcome.UNKNOWN
    elif error.retryable:
        outcome = AttemptOutcome.TRANSIENT
    else:
        outcome = AttemptOutcome.PERMANENT
    reply = error.reply if isinstance(error, ReplyError) else None
    return closed_attempt(outcome, reply, error)


def attempt_from(row: AttemptRow) -> Attempt:
    return Attempt(
        number=row.number,
        worker=row.worker,
        started_at=row.started_at,
        finished_at=row.finished_at,
        outcome=AttemptOutcome(row.outcome) if row.outcome else None,
        smtp_code=row.smtp_code,
        enhanced_code=row.enhanced_code,
        response=row.response,
        error_code=row.error_code,
        error=row.error,
    )


def message_from(row: MessageRow, attempts: Iterable[AttemptRow] = ()) -> OutboxMessage:
    return OutboxMessage(
        id=row.id,
        connection=row.connection,
        status=MessageStatus(row.status),
        message_id=row.message_id,
        mail_from=row.mail_from,
        rcpt_to=tuple(row.rcpt_to),
        size=row.size,
        attempt_count=row.attempt_count,
        created_at=row.created_at,
        updated_at=row.updated_at,
        next_attempt_at=row.next_attempt_at,
        sent_at=row.sent_at,
        accepted=tuple(row.accepted or ()),
        rejected=dict(row.rejected or {}),
        response=row.response,
        last_error=row.last_error,
        outcome_unknown=bool(row.outcome_unknown),
        attempts=tuple(attempt_from(a) for a in attempts),
    )


_BAD_CURSOR = "This cursor is not one this API returned."


def encode_cursor(created_at: datetime, message_id: str) -> str:
    """Opaque position after a message in (created_at, id) order."""
    raw = f"{as_utc(created_at).isoformat()}|{message_id}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """Raises InvalidInput (field ``cursor``) for anything ``encode_cursor`` did not make."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, message_id = raw.split("|", 1)
        created_at = checked_utc(datetime.fromisoformat(stamp))
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput.field("cursor", _BAD_CURSOR) from exc
    if not message_id or not message_id.isprintable():
        raise InvalidInput.field("cursor", _BAD_CURSOR)
    return created_at, message_id
