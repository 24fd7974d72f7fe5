"""smtp-connector: the Logic Apps SMTP connector's Send Email action, self-hosted.

The library surface: compose and send the same messages as the HTTP API, without a server::

    import asyncio
    from smtp_connector import SmtpSettings, send_email

    settings = SmtpSettings(host="smtp.example.com", port=587, username="me", password="...")
    result = asyncio.run(send_email(settings, {"From": "me@example.com", "To": "you@example.com",
                                               "Subject": "Hi", "Body": "Hello"}))
"""

from __future__ import annotations

from smtp_connector.errors import (
    AuthFailed,
    ConnectFailed,
    ConnectionDropped,
    ConnectorError,
    ConnectTimeout,
    DeliveryError,
    InvalidInput,
    MessageRefused,
    NotSmtp,
    PayloadTooLarge,
    RecipientsRefused,
    ReplyError,
    TlsFailed,
    TransportError,
)
from smtp_connector.library import SendResult, send_email
from smtp_connector.mail.compose import compose
from smtp_connector.mail.limits import Limits
from smtp_connector.mail.message import Address, Attachment, ComposedMessage, Email, Importance
from smtp_connector.mail.replies import SmtpReply
from smtp_connector.mail.request import parse_send_request
from smtp_connector.smtp.client import deliver, probe
from smtp_connector.smtp.types import AuthMechanism, Capabilities, Security, SmtpSettings

__version__ = "0.2.0"

__all__ = [
    "Address",
    "Attachment",
    "AuthFailed",
    "AuthMechanism",
    "Capabilities",
    "ComposedMessage",
    "ConnectFailed",
    "ConnectTimeout",
    "ConnectionDropped",
    "ConnectorError",
    "DeliveryError",
    "Email",
    "Importance",
    "InvalidInput",
    "Limits",
    "MessageRefused",
    "NotSmtp",
    "PayloadTooLarge",
    "RecipientsRefused",
    "ReplyError",
    "Security",
    "SendResult",
    "SmtpReply",
    "SmtpSettings",
    "TlsFailed",
    "TransportError",
    "__version__",
    "compose",
    "deliver",
    "parse_send_request",
    "probe",
    "send_email",
]
