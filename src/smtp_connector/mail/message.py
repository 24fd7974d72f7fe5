"""The outgoing email as plain values, after validation and before MIME composition."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Importance(StrEnum):
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


@dataclass(frozen=True)
class Address:
    """A validated mailbox: the domain is ASCII (punycode); the local part may be UTF-8."""

    addr_spec: str
    display_name: str = ""

    @property
    def needs_smtputf8(self) -> bool:
        """True when the address itself (not the display name) is non-ASCII."""
        return not self.addr_spec.isascii()

    @property
    def key(self) -> str:
        """Identity for de-duplication: local part as written, domain case-folded."""
        local, _, domain = self.addr_spec.rpartition("@")
        return f"{local.lower()}@{domain.lower()}"


@dataclass(frozen=True)
class Attachment:
    """A decoded file. With a ``content_id`` it is an inline part (``cid:`` in the HTML body)."""

    data: bytes
    content_type: str = "application/octet-stream"
    filename: str | None = None
    content_id: str | None = None

    @property
    def is_inline(self) -> bool:
        return self.content_id is not None


@dataclass(frozen=True)
class Email:
    """Everything needed to compose one message; addresses are already validated and unique."""

    sender: Address
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    bcc: tuple[Address, ...] = ()
    reply_to: tuple[Address, ...] = ()
    subject: str = ""
    body: str = ""
    is_html: bool = False
    text_body: str | None = None
    importance: Importance | None = None
    read_receipt: Address | None = None
    delivery_receipt: Address | None = None
    attachments: tuple[Attachment, ...] = ()
    headers: tuple[tuple[str, str], ...] = field(default=())

    @property
    def recipients(self) -> tuple[Address, ...]:
        """The envelope recipients: To, then CC, then Bcc."""
        return self.to + self.cc + self.bcc

    @property
    def needs_smtputf8(self) -> bool:
        receipts = [a for a in (self.read_receipt, self.delivery_receipt) if a is not None]
        addresses = (self.sender, *self.recipients, *self.reply_to, *receipts)
        return any(a.needs_smtputf8 for a in addresses)


@dataclass(frozen=True)
class Envelope:
    """What the SMTP client says around DATA: MAIL FROM, RCPT TO, and the extensions asked for."""

    mail_from: str
    rcpt_to: tuple[str, ...]
    smtputf8: bool = False
    dsn: bool = False


@dataclass(frozen=True)
class ComposedMessage:
    """Wire-ready bytes (CRLF, lines of at most 998 octets) with their envelope and Message-ID."""

    data: bytes
    envelope: Envelope
    message_id: str
