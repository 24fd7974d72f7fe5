"""The MIME composer: an ``Email`` to wire-ready bytes (CRLF, ASCII unless SMTPUTF8) and envelope.

Written by hand for speed: ``email.message.EmailMessage`` spends most of a send's CPU time.

Structure: text/plain, or multipart/alternative (plain + html) for HTML; wrapped in
multipart/related when the HTML has inline (``cid:``) parts; wrapped in multipart/mixed when
there are attachments.
"""

from __future__ import annotations

import os
import re
from binascii import b2a_base64, b2a_qp
from datetime import UTC, datetime
from email.utils import format_datetime
from uuid import uuid4

from smtp_connector.errors import InvalidInput
from smtp_connector.mail.headers import (
    format_address,
    format_address_list,
    mime_param,
    parameterized,
    unstructured,
)
from smtp_connector.mail.html_text import html_to_text
from smtp_connector.mail.message import (
    Address,
    Attachment,
    ComposedMessage,
    Email,
    Envelope,
    Importance,
)

__all__ = ["compose"]

_FALLBACK_DOMAIN = "smtp-connector.invalid"
_DOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|\[[!-Z^-~]+\]")
_HEADER_NAME = re.compile(r"[!-9;-~]+")
_NAME_PARAM = re.compile(r";\s*name(?:\*\d*\*?)?\s*=", re.IGNORECASE)
_MAX_LINE = 998
_B64_LINE = 76
_B64_CHUNK = 57 * 1000  # bytes encoded per call: a multiple of 57 (one 76-char line)
_IMPORTANCE = {
    Importance.HIGH: ("High", "1 (Highest)", "High"),
    Importance.NORMAL: ("Normal", "3 (Normal)", "Normal"),
    Importance.LOW: ("Low", "5 (Lowest)", "Low"),
}

Part = tuple[list[str], list[bytes]]
"""A MIME part: its header lines, and its body without the final line break."""


def compose(
    email: Email, *, message_id: str | None = None, date: datetime | None = None
) -> ComposedMessage:
    """The message as bytes with its envelope; Bcc goes only into the envelope."""
    receipts = (email.read_receipt, email.delivery_receipt)
    # Receipt addresses are not in Email.needs_smtputf8 but are written into the headers too.
    utf8 = email.needs_smtputf8 or any(r is not None and r.needs_smtputf8 for r in receipts)
    msg_id = _message_id(message_id, email.sender)
    _check_attachments(email.attachments)
    lines = [
        "Date: " + format_datetime(datetime.now(UTC) if date is None else date),
        format_address("From", email.sender),
    ]
    if email.to:
        lines.append(format_address_list("To", email.to))
    if email.cc:
        lines.append(format_address_list("Cc", email.cc))
    if email.reply_to:
        lines.append(format_address_list("Reply-To", email.reply_to))
    lines += [unstructured("Subject", email.subject), "Message-ID: " + msg_id, "MIME-Version: 1.0"]
    if email.importance is not None:
        importance, priority, ms_priority = _IMPORTANCE[email.importance]
        lines += [
            "Importance: " + importance,
            "X-Priority: " + priority,
            "X-MSMail-Priority: " + ms_priority,
        ]
    if email.read_receipt is not None:
        lines.append(format_address("Disposition-Notification-To", email.read_receipt))
    if email.delivery_receipt is not None:
        lines.append(format_address("Return-Receipt-To", email.delivery_receipt))
    lines += _custom_headers(email.headers, {line.partition(":")[0].lower() for line in lines})
    part_headers, body = _body(email)
    head = "\r\n".join(lines + part_headers) + "\r\n\r\n"
    chunks = [head.encode("utf-8" if utf8 else "ascii"), *body]
    if body and body[-1] and not body[-1].endswith(b"\r\n"):
        chunks.append(b"\r\n")
    envelope = Envelope(
        mail_from=email.sender.addr_spec,
        rcpt_to=tuple(a.addr_spec for a in email.recipients),
        smtputf8=utf8,
        dsn=email.delivery_receipt is not None,
    )
    return ComposedMessage(data=b"".join(chunks), envelope=envelope, message_id=msg_id)


def _message_id(given: str | None, sender: Address) -> str:
    """The given Message-ID in angle brackets, or a new ``<uuid@sender-domain>``."""
    if given is None:
        _, at, domain = sender.addr_spec.rpartition("@")
        domain = domain.lower()
        if not at or not domain.isascii() or not _DOMAIN.fullmatch(domain):
            domain = _FALLBACK_DOMAIN
        return f"<{uuid4().hex}@{domain}>"
    value = given.strip()
    if not (value.startswith("<") and value.endswith(">")):
        value = f"<{value.strip('<>')}>"
    if not _is_token(value) or len(value) < 3 or len(value) > 900:
        raise InvalidInput.field("MessageId", "The Message-ID must be printable ASCII.")
    return value


def _is_token(value: str) -> bool:
    """Printable ASCII without spaces: safe to write into a header as it is."""
    return value.isascii() and value.isprintable() and " " not in value


def _check_attachments(attachments: tuple[Attachment, ...]) -> None:
    """Refuse a content type or Content-ID that cannot be written into a header as it is."""
    for index, attachment in enumerate(attachments):
        content_type = attachment.content_type
        if not (content_type.isascii() and content_type.isprintable()) or "/" not in content_type:
            raise InvalidInput.field(
                f"Attachments[{index}].ContentType", "The content type is not a MIME type."
            )
        content_id = attachment.content_id
        if content_id is not None and not _is_token(content_id.strip()):
            raise InvalidInput.field(
                f"Attachments[{index}].ContentId", "The Content-ID must be printable ASCII."
            )


def _custom_headers(headers: tuple[tuple[str, str], ...], taken: set[str]) -> list[str]:
    """The caller's extra headers, refusing any that would clash with the composed ones."""
    lines: list[str] = []
    for name, value in headers:
        key = name.lower()
        if not _HEADER_NAME.fullmatch(name) or "\r" in value or "\n" in value:
            raise InvalidInput.field(f"Headers.{name}", "A header must be one line.")
        if key in taken or key == "bcc" or key.startswith("content-") or key == "mime-version":
            raise InvalidInput.field(
                f"Headers.{name}", f"The header {name} is set by the composer."
            )
        lines.append(unstructured(name, value))
    return lines


def _body(email: Email) -> Part:
    """The MIME tree of the message body."""
    attachments = email.attachments
    if not email.is_html:
        main = _text_part("plain", email.body)
    else:
        text = email.text_body if email.text_body is not None else html_to_text(email.body)
        main = _multipart(
            "alternative", [_text_part("plain", text), _text_part("html", email.body)]
        )
        inline = [a for a in attachments if a.is_inline]
        if inline:
            parts = [main, *(_attachment(a, "inline") for a in inline)]
            main = _multipart("related", parts, 'type="multipart/alternative"')
            attachments = tuple(a for a in attachments if not a.is_inline)
    if attachments:
        main = _multipart("mixed", [main, *(_attachment(a, "attachment") for a in attachments)])
    return main


def _multipart(subtype: str, parts: list[Part], param: str = "") -> Part:
    """A multipart of ``parts`` with a fresh boundary.

    The boundary ``=_`` + 32 random hex digits cannot occur in any part body: base64 lines
    hold only ``A-Za-z0-9+/`` and final ``=`` padding, quoted-printable writes ``=`` only
    before two hex digits or a line break, and 7bit text is used only when it has no ``=_``
    (else it is quoted-printable). Header lines of nested parts never start with ``--``, and
    each boundary has 128 fresh random bits, so no other delimiter matches it either.
    """
    boundary = "=_" + os.urandom(16).hex()
    params = [param, f'boundary="{boundary}"'] if param else [f'boundary="{boundary}"']
    delimiter = f"--{boundary}\r\n".encode("ascii")
    body: list[bytes] = []
    for headers, content in parts:
        body.append(delimiter)
        body.append(("\r\n".join(headers) + "\r\n\r\n").encode("ascii"))
        body.extend(content)
        body.append(b"\r\n")
    body.append(f"--{boundary}--".encode("ascii"))
    return [parameterized("Content-Type", f"multipart/{subtype}", params)], body


def _crlf(text: str) -> str:
    """``text`` with every line break (CRLF, CR or LF) made CRLF."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\n", "\r\n")


def _text_part(subtype: str, text: str) -> Part:
    """A UTF-8 text part: 7bit when short-lined ASCII, else quoted-printable."""
    text = _crlf(text)
    headers = [f"Content-Type: text/{subtype}; charset=utf-8"]
    if (
        text.isascii()
        and "=_" not in text
        and "\0" not in text
        and (len(text) <= _MAX_LINE or max(map(len, text.split("\r\n"))) <= _MAX_LINE)
    ):
        headers.append("Content-Transfer-Encoding: 7bit")
        return headers, [text.encode("ascii")]
    headers.append("Content-Transfer-Encoding: quoted-printable")
    data = text.encode("utf-8")
    encoded = b2a_qp(data, quotetabs=False, istext=True, header=False)
    if b"\n" not in data:  # b2a_qp ends soft line breaks like the data's first line, else LF
        encoded = encoded.replace(b"\n", b"\r\n")
    return headers, [encoded]


def _attachment(attachment: Attachment, disposition: str) -> Part:
    """A base64 part for an attachment, inline or not, with its file name and Content-ID."""
    content_type = attachment.content_type.strip().rstrip(";").strip()
    filename = attachment.filename
    has_name = _NAME_PARAM.search(content_type) is not None
    name_params = mime_param("name", filename) if filename and not has_name else []
    headers = [
        parameterized("Content-Type", content_type, name_params),
        "Content-Transfer-Encoding: base64",
    ]
    if attachment.content_id is not None:
        headers.append(f"Content-ID: <{attachment.content_id.strip().strip('<>')}>")
    file_params = mime_param("filename", filename) if filename else []
    headers.append(parameterized("Content-Disposition", disposition, file_params))
    return headers, [_base64(attachment.data)]


def _base64(data: bytes) -> bytes:
    """``data`` in base64, 76-character lines separated by CRLF (no final line break)."""
    lines: list[bytes] = []
    for start in range(0, len(data), _B64_CHUNK):
        encoded = b2a_base64(data[start : start + _B64_CHUNK], newline=False)
        lines += [encoded[i : i + _B64_LINE] for i in range(0, len(encoded), _B64_LINE)]
    return b"\r\n".join(lines)
