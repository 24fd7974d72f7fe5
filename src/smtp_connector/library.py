"""One-call sending for Python programs: the Send Email body in, the server's answer out."""

from __future__ import annotations

from smtp_connector.mail.compose import compose
from smtp_connector.mail.limits import Limits
from smtp_connector.mail.request import parse_send_request
from smtp_connector.sending import SendResult, deliver_message
from smtp_connector.smtp.types import SmtpSettings

__all__ = ["SendResult", "send_email"]


async def send_email(
    settings: SmtpSettings,
    payload: dict[str, object],
    *,
    limits: Limits | None = None,
    default_from: str | None = None,
) -> SendResult:
    """Validate, compose and send one message; raises InvalidInput or a DeliveryError."""
    email = parse_send_request(payload, limits=limits or Limits(), default_from=default_from)
    return await deliver_message(settings, compose(email))
