"""The trigger and action types the engine runs, by canonical name (matched in any case)."""

from __future__ import annotations

TRIGGER_TYPES = ("Request", "Recurrence", "ApiConnection")

CONTROL_TYPES = ("If", "Switch", "Foreach", "Until", "Scope")
"""Actions that hold other actions."""

VARIABLE_TYPES = (
    "InitializeVariable",
    "SetVariable",
    "IncrementVariable",
    "DecrementVariable",
    "AppendToArrayVariable",
    "AppendToStringVariable",
)

ACTION_TYPES = (
    "ApiConnection",
    "ServiceProvider",
    "Compose",
    *CONTROL_TYPES,
    *VARIABLE_TYPES,
    "Response",
    "Terminate",
    "ParseJson",
    "Query",
    "Select",
    "Wait",
)

VARIABLE_VALUE_TYPES = ("Integer", "Float", "Boolean", "String", "Array", "Object")

_ACTIONS = {name.casefold(): name for name in ACTION_TYPES}
_TRIGGERS = {name.casefold(): name for name in TRIGGER_TYPES}
_VALUE_TYPES = {name.casefold(): name for name in VARIABLE_VALUE_TYPES}


def action_type(text: str) -> str | None:
    return _ACTIONS.get(text.casefold())


def trigger_type(text: str) -> str | None:
    return _TRIGGERS.get(text.casefold())


def variable_value_type(text: str) -> str | None:
    return _VALUE_TYPES.get(text.casefold())


SEND_EMAIL_PATHS = ("/SendEmailV3", "/SendEmailV2", "/SendEmail")
"""The managed SMTP connector's Send Email operations (V1, V2 and V3 take the same body)."""

MAX_ACTIONS = 250
OUTPUT_TYPES = ("String", "SecureString", "Int", "Float", "Bool", "Array", "Object", "SecureObject")
"""The definition language's value types, for ``outputs`` (and parameters)."""
SECURE_OUTPUT_TYPES = ("SecureString", "SecureObject")
"""Outputs of these types are evaluated but never shown or stored."""
_OUTPUTS = {name.casefold(): name for name in OUTPUT_TYPES}
MAX_OUTPUTS = 10


def output_type(text: str) -> str | None:
    return _OUTPUTS.get(text.casefold())


MAX_TRIGGERS = 10
MAX_PARAMETERS = 50
MAX_NESTING = 8
"""Scopes inside scopes (Logic Apps allows 8 levels)."""
MAX_NAME = 80
NAME_FORBIDDEN = frozenset('<>%&\\?/#*:"|')
