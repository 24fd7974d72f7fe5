"""Connection schemas: create, update (partial) and public view, with their nested policies.

``ConnectionCreate.to_domain`` and ``ConnectionUpdate.changes`` turn validated input into
domain values; ``ConnectionPublic.of`` is what the API shows (never the password).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from smtp_connector.api.schemas.fields import (
    CaBundle,
    CamelModel,
    DefaultFrom,
    EhloName,
    Name,
    Password,
    Port,
    Senders,
    Server,
    Text,
    Timeout,
    Timestamp,
)
from smtp_connector.connections import Connection, Rate
from smtp_connector.outbox.types import RetryPolicy
from smtp_connector.smtp.types import AuthMechanism, Security


def _ssl_alias(data: Any) -> Any:
    """``enableSsl`` (Azure's toggle): true is implicit TLS on port 465, else STARTTLS required;
    false is STARTTLS when offered."""
    if not isinstance(data, dict) or "enableSsl" not in data:
        return data
    data = dict(data)
    enable = data.pop("enableSsl")
    if "security" in data:
        raise ValueError("give either security or enableSsl, not both")
    if not isinstance(enable, bool):
        raise ValueError("enableSsl must be true or false")
    if enable:
        data["security"] = Security.TLS if data.get("port") == 465 else Security.STARTTLS
    else:
        data["security"] = Security.STARTTLS_OPTIONAL
    return data


class RetryPolicyModel(CamelModel):
    """Backoff for transient failures: initial * multiplier^(attempt-1), capped, +-jitter."""

    max_attempts: int = Field(default=10, ge=1, le=100)
    initial_delay_seconds: float = Field(default=30.0, gt=0, le=86400)
    multiplier: float = Field(default=2.0, ge=1, le=10)
    max_delay_seconds: float = Field(default=3600.0, gt=0, le=7 * 86400)
    max_age_seconds: float = Field(default=86400.0, gt=0, le=30 * 86400)
    jitter: float = Field(default=0.2, ge=0, le=1)

    def to_domain(self) -> RetryPolicy:
        return RetryPolicy(**self.model_dump())


class RateLimitModel(CamelModel):
    """At most ``messages`` deliveries per ``perSeconds``, spaced evenly across all workers."""

    messages: int = Field(ge=1, le=1_000_000)
    per_seconds: float = Field(gt=0, le=86400)

    def to_domain(self) -> Rate:
        return Rate(self.messages, self.per_seconds)

    @classmethod
    def of(cls, rate: Rate | None) -> RateLimitModel | None:
        return None if rate is None else cls(messages=rate.count, per_seconds=rate.per_seconds)


class CallLimitModel(CamelModel):
    """At most ``calls`` send requests per ``perSeconds`` (Azure's is 100 per 60 s); then 429."""

    calls: int = Field(ge=1, le=1_000_000)
    per_seconds: float = Field(gt=0, le=86400)

    def to_domain(self) -> Rate:
        return Rate(self.calls, self.per_seconds)

    @classmethod
    def of(cls, rate: Rate | None) -> CallLimitModel | None:
        return None if rate is None else cls(calls=rate.count, per_seconds=rate.per_seconds)


def _domain(value: Any) -> Any:
    """Turn a nested schema into its domain value (lists into tuples, secrets revealed)."""
    if isinstance(value, (RetryPolicyModel, RateLimitModel, CallLimitModel)):
        return value.to_domain()
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return tuple(value) if isinstance(value, list) else value


class ConnectionCreate(CamelModel):
    type: Literal["smtp"] = "smtp"
    name: Name
    server: Server
    port: Port = 587
    username: Text | None = None
    password: Password | None = None
    security: Security = Security.STARTTLS
    verify_certificate: bool = True
    ca_bundle: CaBundle | None = None
    client_hostname: EhloName | None = None
    timeout_seconds: Timeout = 30.0
    auth_mechanism: AuthMechanism = AuthMechanism.AUTO
    default_from: DefaultFrom | None = None
    allowed_senders: Senders = []  # noqa: RUF012 (pydantic copies defaults per instance)
    retry_policy: RetryPolicyModel | None = None
    max_sessions: Annotated[int, Field(ge=1, le=100)] | None = None
    rate_limit: RateLimitModel | None = None
    call_limit: CallLimitModel | None = None

    _enable_ssl = model_validator(mode="before")(_ssl_alias)

    def to_domain(self) -> Connection:
        return Connection(
            name=self.name,
            server=self.server,
            port=self.port,
            security=self.security,
            username=self.username,
            verify_certificate=self.verify_certificate,
            ca_bundle=self.ca_bundle,
            client_hostname=self.client_hostname,
            timeout_seconds=self.timeout_seconds,
            auth_mechanism=self.auth_mechanism,
            default_from=self.default_from,
            allowed_senders=tuple(self.allowed_senders),
            retry_policy=_domain(self.retry_policy),
            max_sessions=self.max_sessions,
            rate_limit=_domain(self.rate_limit),
            call_limit=_domain(self.call_limit),
        )


class ConnectionUpdate(CamelModel):
    """Only the fields present are changed; ``password: null`` removes the password."""

    server: Server | None = None
    port: Port | None = None
    username: Text | None = None
    password: Password | None = None
    security: Security | None = None
    verify_certificate: bool | None = None
    ca_bundle: CaBundle | None = None
    client_hostname: EhloName | None = None
    timeout_seconds: Timeout | None = None
    auth_mechanism: AuthMechanism | None = None
    default_from: DefaultFrom | None = None
    allowed_senders: Senders | None = None
    retry_policy: RetryPolicyModel | None = None
    max_sessions: Annotated[int, Field(ge=1, le=100)] | None = None
    rate_limit: RateLimitModel | None = None
    call_limit: CallLimitModel | None = None

    _enable_ssl = model_validator(mode="before")(_ssl_alias)

    @field_validator(
        "server",
        "port",
        "security",
        "verify_certificate",
        "timeout_seconds",
        "auth_mechanism",
        "allowed_senders",
        mode="before",
    )
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        return value

    def changes(self) -> dict[str, Any]:
        return {name: _domain(getattr(self, name)) for name in self.model_fields_set}


class ConnectionPublic(CamelModel):
    type: Literal["smtp"] = "smtp"
    name: str
    server: str
    port: int
    username: str | None
    has_password: bool
    security: Security
    verify_certificate: bool
    ca_bundle: str | None
    client_hostname: str | None
    timeout_seconds: float
    auth_mechanism: AuthMechanism
    default_from: str | None
    allowed_senders: list[str]
    retry_policy: RetryPolicyModel | None
    max_sessions: int | None
    rate_limit: RateLimitModel | None
    call_limit: CallLimitModel | None
    created_at: Timestamp | None
    updated_at: Timestamp | None

    @classmethod
    def of(cls, connection: Connection) -> ConnectionPublic:
        plain = replace(connection, rate_limit=None, call_limit=None)
        public = cls.model_validate(plain, from_attributes=True)
        public.rate_limit = RateLimitModel.of(connection.rate_limit)
        public.call_limit = CallLimitModel.of(connection.call_limit)
        return public
