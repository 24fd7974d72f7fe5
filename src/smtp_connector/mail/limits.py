"""Size and count limits for one Send Email request (configurable through Settings)."""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_recipients: int = 500
    max_attachments: int = 250
    max_attachment_bytes: int = 25 * MB
    max_message_bytes: int = 35 * MB

    @property
    def max_request_bytes(self) -> int:
        """Largest HTTP body worth reading: base64 grows data by 4/3, plus room for the JSON."""
        return self.max_message_bytes * 4 // 3 + MB
