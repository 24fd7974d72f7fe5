"""The Send Email pipeline: resolve the connection, validate, check the sender, compose, deliver.

The outbox (a later stage) will sit between ``prepare`` and ``deliver``; ``prepare`` is what an
HTTP request or a workflow action does before anything is committed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from anyio import to_thread

from smtp_connector.connections import Connection, ConnectionStore
from smtp_connector.errors import DeliveryError, SenderNotAllowed
from smtp_connector.logs import log_event
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
    """Hand a composed message to the server; raises a DeliveryError."""
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


class SendService:
    """Sends Send Email bodies through named connections."""

    def __init__(self, connections: ConnectionStore, limits: Limits) -> None:
        self.connections = connections
        self.limits = limits

    async def send(self, connection_name: str, payload: object) -> SendResult:
        """Raises ConnectionNotFound, InvalidInput, SenderNotAllowed or a DeliveryError."""
        connection = await to_thread.run_sync(self.connections.get, connection_name)
        message = await to_thread.run_sync(prepare, connection, payload, self.limits)
        settings = self.connections.smtp_settings(connection)
        try:
            result = await deliver_message(settings, message)
        except DeliveryError as exc:
            log_event(
                "send.failed",
                logging.WARNING,
                connection=connection_name,
                message_id=message.message_id,
                code=exc.code,
                retryable=exc.retryable,
            )
            raise
        log_event(
            "send.sent",
            connection=connection_name,
            message_id=message.message_id,
            accepted=len(result.accepted),
            rejected=len(result.rejected),
            size=len(message.data),
        )
        return result
