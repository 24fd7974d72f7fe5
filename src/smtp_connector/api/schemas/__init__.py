"""HTTP schemas named by role (``ConnectionCreate``, ``ConnectionPublic``); camelCase JSON.

``connections`` holds the connection schemas, ``keys`` the API key schemas, and ``fields`` the
camelCase base model and the validated field types they are built from.
"""

from smtp_connector.api.schemas.connections import (
    CallLimitModel,
    ConnectionCreate,
    ConnectionPublic,
    ConnectionUpdate,
    RateLimitModel,
    RetryPolicyModel,
)
from smtp_connector.api.schemas.fields import CamelModel
from smtp_connector.api.schemas.keys import ApiKeyCreate, ApiKeyPublic

__all__ = [
    "ApiKeyCreate",
    "ApiKeyPublic",
    "CallLimitModel",
    "CamelModel",
    "ConnectionCreate",
    "ConnectionPublic",
    "ConnectionUpdate",
    "RateLimitModel",
    "RetryPolicyModel",
]
