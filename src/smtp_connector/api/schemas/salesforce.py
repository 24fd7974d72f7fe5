"""Salesforce connection schemas: create, update (partial), public view and the test answer.

A Salesforce connection is created at ``POST /v1/connections`` with ``"type": "salesforce"``;
its secrets (``clientSecret``, ``password``, ``securityToken``) are write-only.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, model_validator

from smtp_connector.api.schemas.answers import Answer
from smtp_connector.api.schemas.fields import (
    CamelModel,
    Name,
    Password,
    Text,
    Timeout,
    Timestamp,
)
from smtp_connector.salesforce.client import DEFAULT_API_VERSION, DEFAULT_LOGIN_URL, GrantType
from smtp_connector.salesforce.connections import SECRETS, SalesforceConnection

LoginUrl = Annotated[str, Field(min_length=1, max_length=2048)]
ApiVersion = Annotated[str, Field(pattern=r"^[1-9][0-9]{1,2}\.0$")]
ClientId = Annotated[Text, Field(min_length=1)]


def _needs(grant: GrantType, given: set[str]) -> list[str]:
    """The fields a grant type needs that are missing from ``given``."""
    wanted: tuple[str, ...] = ("client_secret",)
    if grant is GrantType.PASSWORD:
        wanted = ("username", "password")
    return [name for name in wanted if name not in given]


_CAMEL = {"client_secret": "clientSecret", "username": "username", "password": "password"}


class SalesforceConnectionCreate(CamelModel):
    type: Literal["salesforce"]
    name: Name
    login_url: LoginUrl = DEFAULT_LOGIN_URL
    grant_type: GrantType = GrantType.PASSWORD
    client_id: ClientId
    client_secret: Password | None = None
    username: Text | None = None
    password: Password | None = None
    security_token: Password | None = None
    api_version: ApiVersion = DEFAULT_API_VERSION
    timeout_seconds: Timeout = 30.0

    @model_validator(mode="after")
    def _complete(self) -> SalesforceConnectionCreate:
        given = {name for name in ("client_secret", "username", "password") if getattr(self, name)}
        missing = _needs(self.grant_type, given)
        if missing:
            fields = " and ".join(_CAMEL[name] for name in missing)
            raise ValueError(f"grantType {self.grant_type.value} needs {fields}")
        return self

    def to_domain(self) -> SalesforceConnection:
        return SalesforceConnection(
            name=self.name,
            login_url=self.login_url,
            grant_type=self.grant_type,
            client_id=self.client_id,
            username=self.username,
            api_version=self.api_version,
            timeout_seconds=self.timeout_seconds,
        )

    def secrets(self) -> dict[str, str | None]:
        return {name: _reveal(getattr(self, name)) for name in SECRETS}


class SalesforceConnectionUpdate(CamelModel):
    """Only the fields present are changed; a secret given as null is removed."""

    login_url: LoginUrl | None = None
    grant_type: GrantType | None = None
    client_id: ClientId | None = None
    client_secret: Password | None = None
    username: Text | None = None
    password: Password | None = None
    security_token: Password | None = None
    api_version: ApiVersion | None = None
    timeout_seconds: Timeout | None = None

    @model_validator(mode="after")
    def _not_null(self) -> SalesforceConnectionUpdate:
        required = ("login_url", "grant_type", "client_id", "api_version", "timeout_seconds")
        for name in required:
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{_camel(name)} may not be null")
        return self

    def changes(self) -> dict[str, Any]:
        return {name: _reveal(getattr(self, name)) for name in self.model_fields_set}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _reveal(value: Any) -> Any:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def missing_for(connection: SalesforceConnection) -> list[str]:
    """The camelCase fields the connection's grant type needs and it does not hold."""
    given = {
        name
        for name, present in (
            ("client_secret", connection.has_client_secret),
            ("username", bool(connection.username)),
            ("password", connection.has_password),
        )
        if present
    }
    return [_CAMEL[name] for name in _needs(connection.grant_type, given)]


class SalesforceConnectionPublic(CamelModel):
    type: Literal["salesforce"]
    name: str
    login_url: str
    grant_type: GrantType
    client_id: str
    username: str | None
    api_version: str
    timeout_seconds: float
    has_client_secret: bool
    has_password: bool
    has_security_token: bool
    created_at: Timestamp | None
    updated_at: Timestamp | None

    @classmethod
    def of(cls, connection: SalesforceConnection) -> SalesforceConnectionPublic:
        return cls(
            type="salesforce",
            name=connection.name,
            login_url=connection.login_url,
            grant_type=connection.grant_type,
            client_id=connection.client_id,
            username=connection.username,
            api_version=connection.api_version,
            timeout_seconds=connection.timeout_seconds,
            has_client_secret=connection.has_client_secret,
            has_password=connection.has_password,
            has_security_token=connection.has_security_token,
            created_at=connection.created_at,
            updated_at=connection.updated_at,
        )


class SalesforceConnectionCheck(Answer):
    """Salesforce gave a token: where the org lives and who the connection logs in as."""

    ok: Literal[True]
    connection: str
    type: Literal["salesforce"]
    instance_url: str = Field(alias="instanceUrl")
    organization_id: str | None = Field(alias="organizationId")
    user_id: str | None = Field(alias="userId")
    api_version: str = Field(alias="apiVersion")
