"""One-call sending for Python programs: the Send Email body in, the server's answer out."""

from __future__ import annotations

from dataclasses import dataclass

from smtp_connector.mail.compose import compose
from smtp_connector.mail.limits import Limits
from smtp_connector.mail.replies import SmtpReply
from smtp_connector.mail.request import parse_send_request
from smtp_connector.smtp.client import deliver
from smtp_connector.smtp.types import SmtpSettings


@dataclass(frozen=True)
class SendResult:
    message_id: str
    accepted: tuple[str, ...]
    rejected: dict[str, SmtpReply]
    response: SmtpReply


async def send_email(
    settings: SmtpSettings,
    payload: dict[str, object],
    *,
    limits: Limits | None = None,
    default_from: str | None = None,
) -> SendResult:
    """Validate, compose and send one message; raises InvalidInput or a DeliveryError."""
    email = parse_send_request(payload, limits=limits or Limits(), default_from=default_from)
    message = compose(email)
    result = await deliver(settings, message.envelope, message.data)
    return SendResult(message.message_id, result.accepted, result.rejected, result.response)
