"""API key schemas: what creating a key takes, and how a key is shown (never its secret)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from smtp_connector.api.schemas.fields import CamelModel, Timestamp, no_controls
from smtp_connector.keys import ApiKey, Scope


class ApiKeyCreate(CamelModel):
    name: Annotated[str, Field(min_length=1, max_length=128), AfterValidator(no_controls)]
    scope: Scope = Scope.SEND


class ApiKeyPublic(CamelModel):
    id: str
    name: str
    scope: Scope
    prefix: str
    created_at: Timestamp
    revoked_at: Timestamp | None

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyPublic:
        return cls.model_validate(key, from_attributes=True)


class ApiKeyCreated(ApiKeyPublic):
    """A new key with its value, shown this once."""

    key: str
