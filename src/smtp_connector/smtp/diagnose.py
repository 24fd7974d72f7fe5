"""Human hints for SMTP failures, and the scrubbing of remote text before it reaches a user.

Every ``DeliveryError`` the client raises carries a ``hint`` attribute (what to try next, or
``None``); ``api/problems.py`` shows it next to the message. The message itself already ends with
the same advice so that logs and CLIs that only print the message stay useful.
"""

from __future__ import annotations

import base64
import re
import ssl
from typing import TypeVar

from smtp_connector.errors import ConnectorError

__all__ = [
    "HINT_CHECK_HOST_PORT",
    "HINT_IMPLICIT_TLS_PORT",
    "HINT_NO_STARTTLS",
    "HINT_PLAIN_PORT",
    "HINT_UNVERIFIED_CERT",
    "Redactor",
    "clean_remote_text",
    "is_plain_text_answer",
    "with_hint",
]

E = TypeVar("E", bound=ConnectorError)

HINT_PLAIN_PORT = "this port speaks plain SMTP; use security=starttls (port 587/25)"
HINT_IMPLICIT_TLS_PORT = (
    "if this port expects TLS from the first byte, set security=tls (port 465 needs security=tls)"
)
HINT_NO_STARTTLS = (
    "Use security=starttls-optional or none only if you trust the network, "
    "or use security=tls if the server offers implicit TLS (usually port 465)."
)
HINT_UNVERIFIED_CERT = (
    "set verifyCertificate=false or give caBundle (the PEM of the CA that signed the "
    "server certificate)"
)
HINT_CHECK_HOST_PORT = (
    "check host and port: SMTP submission is usually 587 (security=starttls) "
    "or 465 (security=tls), relays listen on 25"
)

# OpenSSL reasons seen when the peer answers a ClientHello with something that is not TLS,
# typically a plain "220 ..." SMTP banner (the wording differs between OpenSSL versions).
_NOT_TLS_REASONS = frozenset(
    {
        "WRONG_VERSION_NUMBER",
        "PACKET_LENGTH_TOO_LONG",
        "RECORD_LAYER_FAILURE",
        "UNKNOWN_PROTOCOL",
        "HTTP_REQUEST",
        "HTTPS_PROXY_REQUEST",
        "RECORD_TOO_LARGE",
    }
)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MAX_REMOTE_TEXT = 400


def with_hint(error: E, hint: str | None) -> E:
    """Attach ``hint`` (the HTTP layer shows it beside the message)."""
    error.hint = hint
    return error


def is_plain_text_answer(error: ssl.SSLError) -> bool:
    """True when a TLS handshake failed because the peer answered in clear text."""
    reason = (getattr(error, "reason", None) or "").upper()
    if reason in _NOT_TLS_REASONS:
        return True
    text = str(error).lower()
    return "wrong version number" in text or "record layer failure" in text


def clean_remote_text(text: str) -> str:
    """Make server-supplied text safe to show: no control characters, bounded length."""
    text = _CONTROL.sub("", text.replace("\r", "").replace("\t", " "))
    if len(text) > _MAX_REMOTE_TEXT:
        text = text[: _MAX_REMOTE_TEXT - 1] + "…"
    return text


class Redactor:
    """Removes the password, in clear and in its AUTH encodings, from text a server sent back.

    A hostile or buggy server may echo the AUTH line in its error reply; this keeps the secret out
    of exception messages, logs and API answers.
    """

    def __init__(self, username: str | None, password: str | None) -> None:
        secrets: set[str] = set()
        if password:
            user = username or ""
            raw_user = user.encode("utf-8")
            raw_password = password.encode("utf-8")
            secrets.add(password)
            secrets.add(base64.b64encode(raw_password).decode("ascii"))
            for authzid in (b"", raw_user):
                plain = authzid + b"\0" + raw_user + b"\0" + raw_password
                secrets.add(base64.b64encode(plain).decode("ascii"))
        # Longest first so that an encoding containing another secret is removed whole.
        self._secrets = sorted(secrets, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, "********")
        return text

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secrets)"
