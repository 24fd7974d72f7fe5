"""The built-in local inbox: an SMTP server on 127.0.0.1 that keeps what it receives in memory.

It exists so that a newcomer can see a real email arrive without any external server. It speaks
plain SMTP without AUTH, so it listens on loopback only and is meant for trying things out.
"""

from __future__ import annotations

import email
import email.policy
import itertools
import socket
import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

LOCAL_INBOX = "local-inbox"


@dataclass(frozen=True)
class InboxMessage:
    """One captured message: its envelope and the exact bytes received."""

    id: int
    received_at: datetime
    mail_from: str
    rcpt_to: tuple[str, ...]
    data: bytes

    def summary(self) -> dict[str, Any]:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        body = parsed.get_body(preferencelist=("plain", "html"))
        preview = body.get_content()[:500] if body is not None else ""
        return {
            "id": self.id,
            "receivedAt": self.received_at.isoformat(),
            "mailFrom": self.mail_from,
            "rcptTo": list(self.rcpt_to),
            "from": str(parsed.get("From", "")),
            "to": str(parsed.get("To", "")),
            "cc": str(parsed.get("Cc", "")),
            "subject": str(parsed.get("Subject", "")),
            "messageId": str(parsed.get("Message-ID", "")),
            "size": len(self.data),
            "attachments": [p.get_filename() for p in parsed.iter_attachments()],
            "preview": preview,
        }


class _Handler:
    def __init__(self, inbox: Inbox) -> None:
        self._inbox = inbox

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or envelope.content or b""
        if isinstance(data, str):
            data = data.encode("utf-8")
        self._inbox.add(str(envelope.mail_from), tuple(envelope.rcpt_tos), data)
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

    def add(self, mail_from: str, rcpt_to: tuple[str, ...], data: bytes) -> InboxMessage:
        with self._lock:
            message = InboxMessage(next(self._ids), datetime.now(UTC), mail_from, rcpt_to, data)
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
