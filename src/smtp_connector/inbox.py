"""The built-in local inbox: an SMTP server on 127.0.0.1 that keeps what it receives in memory.

It exists so that a newcomer can see a real email arrive without any external server. It speaks
plain SMTP without AUTH, so it listens on loopback only and is meant for trying things out.
Each message is summarised once, when it arrives, in a worker thread: listing the inbox only
reads those summaries.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import itertools
import socket
import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage, Message

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

LOCAL_INBOX = "local-inbox"
PREVIEW_CHARS = 500


@dataclass(frozen=True)
class InboxSummary:
    """What the inbox shows of a message, read once when it is captured."""

    from_: str = ""
    to: str = ""
    cc: str = ""
    subject: str = ""
    message_id: str = ""
    attachments: tuple[str | None, ...] = ()
    preview: str = ""


@dataclass(frozen=True)
class InboxMessage:
    """One captured message: its envelope, the exact bytes received, and their summary."""

    id: int
    received_at: datetime
    mail_from: str
    rcpt_to: tuple[str, ...]
    data: bytes
    summary: InboxSummary


def summarise(data: bytes) -> InboxSummary:
    """Headers, attachment names and a text preview of a raw message; never raises.

    Text in an unknown or wrong charset is decoded as UTF-8 with replacement characters; a
    message the parser cannot read at all keeps a preview of its first bytes.
    """
    try:
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        body = parsed.get_body(preferencelist=("plain", "html"))
        return InboxSummary(
            from_=str(parsed.get("From", "")),
            to=str(parsed.get("To", "")),
            cc=str(parsed.get("Cc", "")),
            subject=str(parsed.get("Subject", "")),
            message_id=str(parsed.get("Message-ID", "")),
            attachments=tuple(p.get_filename() for p in parsed.iter_attachments()),
            preview=_text_of(body)[:PREVIEW_CHARS] if body is not None else "",
        )
    except Exception:  # a malformed message must still be listed, never break the inbox
        return InboxSummary(preview=_decode(data[: PREVIEW_CHARS * 4])[:PREVIEW_CHARS])


def _text_of(part: EmailMessage | Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return _decode(payload, part.get_content_charset() or "utf-8")


def _decode(raw: bytes, charset: str = "utf-8") -> str:
    try:
        return raw.decode(charset, errors="replace")
    except (LookupError, UnicodeError, ValueError):  # unknown charset, or not a text codec
        return raw.decode("utf-8", errors="replace")


class _Handler:
    def __init__(self, inbox: Inbox) -> None:
        self._inbox = inbox

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or envelope.content or b""
        if isinstance(data, str):
            data = data.encode("utf-8")
        # Parsing a large message takes a while: a thread keeps the SMTP sessions answering.
        summary = await asyncio.get_running_loop().run_in_executor(None, summarise, data)
        self._inbox.add(str(envelope.mail_from), tuple(envelope.rcpt_tos), data, summary)
        return "250 2.0.0 OK: captured by the local inbox"


class Inbox:
    """Captured messages, newest last, at most ``capacity`` of them (thread-safe)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 2525, capacity: int = 1000) -> None:
        self.host = host
        self.port = port
        self._messages: deque[InboxMessage] = deque(maxlen=capacity)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    def add(
        self,
        mail_from: str,
        rcpt_to: tuple[str, ...],
        data: bytes,
        summary: InboxSummary | None = None,
    ) -> InboxMessage:
        """Keep a message; its summary is computed here unless the caller already has it."""
        summary = summarise(data) if summary is None else summary
        with self._lock:
            message = InboxMessage(
                next(self._ids), datetime.now(UTC), mail_from, rcpt_to, data, summary
            )
            self._messages.append(message)
            return message

    def messages(self) -> list[InboxMessage]:
        with self._lock:
            return list(self._messages)

    def get(self, message_id: int) -> InboxMessage | None:
        with self._lock:
            return next((m for m in self._messages if m.id == message_id), None)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()

    def start(self) -> None:
        """Listen on ``host:port`` (port 0 picks a free one; ``self.port`` then tells which)."""
        if self.port == 0:
            self.port = free_port(self.host)
        controller = Controller(
            _Handler(self),
            hostname=self.host,
            port=self.port,
            server_hostname="local-inbox",
            ident="smtp-connector local inbox",
            decode_data=False,
            enable_SMTPUTF8=True,
            data_size_limit=64 * 1024 * 1024,
        )
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (aiosmtpd's controller cannot listen on port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port
