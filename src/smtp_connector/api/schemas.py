"""HTTP schemas named by role (``ConnectionCreate``, ``ConnectionPublic``); camelCase JSON."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from smtp_connector.connections import Connection, Rate
from smtp_connector.errors import InvalidInput
from smtp_connector.keys import ApiKey, Scope
from smtp_connector.mail.addresses import parse_address
from smtp_connector.outbox.types import RetryPolicy
from smtp_connector.smtp.tls import check_ca_bundle
from smtp_connector.smtp.types import AuthMechanism, Security

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)"
    r"(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*\.?$"
)
# Cloud metadata services: a connection must not be a way to reach them.
_BLOCKED_NETWORKS = (
    ipaddress.ip_network("169.254.0.0/16"),
    ipaddress.ip_network("fe80::/10"),
    ipaddress.ip_network("fd00:ec2::254/128"),
)


def _check_name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError(
            "use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return value


def _check_server(value: str) -> str:
    value = value.strip()
    try:
        ip = ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        if not _HOSTNAME.match(value):
            raise ValueError("must be a host name or an IP address") from None
        return value.lower().rstrip(".")
    if any(ip in net for net in _BLOCKED_NETWORKS):
        raise ValueError("link-local and cloud metadata addresses are not allowed")
    return str(ip)


def _check_address(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        parse_address(value, field="defaultFrom")
    except InvalidInput as exc:
        raise ValueError(exc.message) from None
    return value.strip()


def _check_senders(values: list[str]) -> list[str]:
    out = []
    for item in values:
        item = item.strip()
        probe = "x" + item if item.startswith("@") else item
        try:
            address = parse_address(probe, field="allowedSenders")
        except InvalidInput:
            raise ValueError(f"{item!r} is neither an address nor @domain") from None
        out.append(address.key.removeprefix("x") if item.startswith("@") else address.key)
    return out


def _check_pem(value: str | None) -> str | None:
    if value is not None:
        try:
            check_ca_bundle(value)
        except InvalidInput as exc:
            raise ValueError(exc.message) from None
    return value


def _no_controls(value: str | None) -> str | None:
    if value is not None and any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("must not contain control characters such as CR or LF")
    return value


Name = Annotated[str, AfterValidator(_check_name)]
Server = Annotated[str, Field(max_length=255), AfterValidator(_check_server)]
Port = Annotated[int, Field(ge=1, le=65535)]
Text = Annotated[str, Field(max_length=512), AfterValidator(_no_controls)]
Password = Annotated[SecretStr, Field(max_length=8192)]
DefaultFrom = Annotated[str, Field(max_length=512), AfterValidator(_check_address)]
Senders = Annotated[list[str], Field(max_length=1000), AfterValidator(_check_senders)]
CaBundle = Annotated[str, Field(max_length=1_000_000), AfterValidator(_check_pem)]
Timeout = Annotated[float, Field(gt=0, le=600)]


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


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
    name: Name
    server: Server
    port: Port = 587
    username: Text | None = None
    password: Password | None = None
    security: Security = Security.STARTTLS
    verify_certificate: bool = True
    ca_bundle: CaBundle | None = None
    client_hostname: Text | None = None
    timeout_seconds: Timeout = 30.0
    auth_mechanism: AuthMechanism = AuthMechanism.AUTO
    default_from: DefaultFrom | None = None
    allowed_senders: Senders = []
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
    client_hostname: Text | None = None
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
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def of(cls, connection: Connection) -> ConnectionPublic:
        plain = replace(connection, rate_limit=None, call_limit=None)
        public = cls.model_validate(plain, from_attributes=True)
        public.rate_limit = RateLimitModel.of(connection.rate_limit)
        public.call_limit = CallLimitModel.of(connection.call_limit)
        return public


class ApiKeyCreate(CamelModel):
    name: Annotated[str, Field(min_length=1, max_length=128), AfterValidator(_no_controls)]
    scope: Scope = Scope.SEND


class ApiKeyPublic(CamelModel):
    id: str
    name: str
    scope: Scope
    prefix: str
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyPublic:
        return cls.model_validate(key, from_attributes=True)
