"""SMTP replies as values: the reply-code enum, enhanced status codes (RFC 3463), classification."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum


class ReplyCode(IntEnum):
    """The SMTP reply codes this project reacts to by name (RFC 5321 section 4.2.3)."""

    SERVICE_READY = 220
    CLOSING = 221
    AUTH_SUCCESSFUL = 235
    OK = 250
    WILL_FORWARD = 251
    CANNOT_VRFY = 252
    AUTH_CONTINUE = 334
    START_MAIL_INPUT = 354
    SERVICE_UNAVAILABLE = 421
    MAILBOX_BUSY = 450
    LOCAL_ERROR = 451
    INSUFFICIENT_STORAGE = 452
    TEMP_AUTH_FAILURE = 454
    SYNTAX_ERROR = 500
    ARGUMENT_ERROR = 501
    NOT_IMPLEMENTED = 502
    BAD_SEQUENCE = 503
    PARAMETER_NOT_IMPLEMENTED = 504
    AUTH_REQUIRED = 530
    AUTH_FAILED = 535
    MAILBOX_UNAVAILABLE = 550
    USER_NOT_LOCAL = 551
    EXCEEDED_STORAGE = 552
    MAILBOX_NAME_NOT_ALLOWED = 553
    TRANSACTION_FAILED = 554


_ENHANCED = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})(?:\s+|$)")


@dataclass(frozen=True)
class SmtpReply:
    """One server reply: the three-digit code, the RFC 3463 enhanced code if any, the text."""

    code: int
    message: str
    enhanced_code: str | None = None

    @classmethod
    def parse(cls, code: int, text: str) -> SmtpReply:
        """Split a leading enhanced status code (``5.1.1 ...``) off the reply text."""
        text = text.strip()
        match = _ENHANCED.match(text)
        if match and match.group(1) == str(code)[0]:
            enhanced = f"{match.group(1)}.{match.group(2)}.{match.group(3)}"
            return cls(code=code, message=text[match.end() :].strip(), enhanced_code=enhanced)
        return cls(code=code, message=text)

    @property
    def is_success(self) -> bool:
        return 200 <= self.code < 400

    @property
    def is_transient(self) -> bool:
        """4xx replies are worth retrying; 5xx are final (RFC 5321 section 4.2.1)."""
        return 400 <= self.code < 500

    @property
    def is_permanent(self) -> bool:
        return self.code >= 500

    def __str__(self) -> str:
        parts = [str(self.code)]
        if self.enhanced_code:
            parts.append(self.enhanced_code)
        if self.message:
            parts.append(self.message)
        return " ".join(parts)
