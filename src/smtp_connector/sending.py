"""The steps of Send Email that need no database: validate and compose (``prepare``), and hand
composed bytes to a server (``deliver_message``, for the library).

The HTTP API and workflows go through ``outbox.submit.SendService``, which calls ``prepare`` and
commits the result to the outbox before anything is sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from smtp_connector.connections import Connection
from smtp_connector.errors import SenderNotAllowed
from smtp_connector.mail.compose import compose
from smtp_connector.mail.limits import Limits
from smtp_connector.mail.message import ComposedMessage
from smtp_connector.mail.replies import SmtpReply
from smtp_connector.mail.request import parse_send_request
from smtp_connector.smtp import client
from smtp_connector.smtp.types import SmtpSettings


@dataclass(frozen=True)
class SendResult:
    """What the server said about one message: accepted and refused recipients, final reply."""

    message_id: str
    accepted: tuple[str, ...]
    rejected: dict[str, SmtpReply]
    response: SmtpReply


async def deliver_message(settings: SmtpSettings, message: ComposedMessage) -> SendResult:
    """Hand a composed message to the server over a new connection; raises a DeliveryError."""
    result = await client.deliver(settings, message.envelope, message.data)
    return SendResult(message.message_id, result.accepted, result.rejected, result.response)


def prepare(connection: Connection, payload: object, limits: Limits) -> ComposedMessage:
    """Validate a Send Email body for this connection and compose it.

    Raises InvalidInput (400), PayloadTooLarge (413) or SenderNotAllowed (403).
    """
    email = parse_send_request(payload, limits=limits, default_from=connection.default_from)
    if not connection.allows_sender(email.sender):
        raise SenderNotAllowed(
            f"The connection {connection.name!r} may not send as {email.sender.addr_spec!r}; "
            "allowed senders: " + ", ".join(connection.allowed_senders)
        )
    return compose(email)
