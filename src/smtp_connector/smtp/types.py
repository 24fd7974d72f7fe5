"""Values the SMTP layer takes and gives: transport settings, server capabilities, results."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from smtp_connector.mail.replies import SmtpReply


class Security(StrEnum):
    """How the connection is protected.

    ``starttls`` (default) requires STARTTLS before anything else, ``tls`` is implicit TLS from the
    first byte (port 465), ``starttls-optional`` upgrades when offered, ``none`` never encrypts.
    """

    STARTTLS = "starttls"
    TLS = "tls"
    STARTTLS_OPTIONAL = "starttls-optional"
    NONE = "none"


class AuthMechanism(StrEnum):
    AUTO = "auto"
    PLAIN = "plain"
    LOGIN = "login"
    CRAM_MD5 = "cram-md5"


@dataclass(frozen=True)
class SmtpSettings:
    """A connection's transport parameters with the password already decrypted."""

    host: str
    port: int = 587
    security: Security = Security.STARTTLS
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    verify_certificate: bool = True
    ca_bundle_pem: str | None = field(default=None, repr=False)
    client_hostname: str | None = None
    timeout_seconds: float = 30.0
    auth_mechanism: AuthMechanism = AuthMechanism.AUTO


@dataclass(frozen=True)
class Capabilities:
    """What the server offered after EHLO (after STARTTLS, when used)."""

    tls: bool
    authenticated: bool
    starttls: bool
    auth_mechanisms: tuple[str, ...]
    size_limit: int | None
    pipelining: bool
    eightbitmime: bool
    smtputf8: bool
    dsn: bool


@dataclass(frozen=True)
class DeliveryResult:
    """The server took the message for ``accepted``; ``rejected`` holds the per-address refusals."""

    accepted: tuple[str, ...]
    rejected: dict[str, SmtpReply]
    response: SmtpReply
