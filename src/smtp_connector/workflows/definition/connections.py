"""Resolving Logic Apps connection references to our connections, by name.

An ``ApiConnection`` names its connection with ``host.connection.name``, usually
``@parameters('$connections')['smtp']['connectionId']``; the workflow's ``$connections``
parameter maps ``smtp`` to ``{connectionId, connectionName, id}``. The reference resolves to
``connectionName``, else the last segment of ``connectionId``, else (no ``$connections``) the
key itself. Standard's ``host.connection.referenceName`` and a ``ServiceProvider``'s
``serviceProviderConfiguration.connectionName`` name the connection directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from smtp_connector.workflows.expressions import ExpressionError, StaticContext, compile_value

_MARKER = "$connections"


def _last_segment(connection_id: str) -> str:
    return connection_id.rstrip("/").rsplit("/", 1)[-1]


def _entries(parameters: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for key, value in parameters.items():
        if key.casefold() == _MARKER:
            return value if isinstance(value, Mapping) else {}
    return None


def _quoted_key(text: str) -> str | None:
    """The ``'smtp'`` in ``...('$connections')['smtp']...``, read without a regex."""
    start = text.casefold().find("'$connections')[")
    if start < 0:
        return None
    rest = text[start + len("'$connections')[") :]
    if not rest.startswith("'"):
        return None
    end = rest.find("'", 1)
    return rest[1:end] if end > 0 else None


def resolve_api_connection(host: Mapping[str, Any], parameters: Mapping[str, Any]) -> str:
    """Our connection's name for an ApiConnection's ``host``; raises ValueError saying why not."""
    connection = host.get("connection")
    if not isinstance(connection, Mapping):
        raise ValueError("host.connection must be an object with 'name' or 'referenceName'")
    reference = connection.get("referenceName")
    if isinstance(reference, str) and reference:
        return reference
    name = connection.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError("host.connection.name must be a string")
    entries = _entries(parameters)
    if not name.startswith("@"):
        return _last_segment(name)
    if entries is None:
        key = _quoted_key(name)
        if key is None:
            raise ValueError(f"cannot tell which connection {name!r} names")
        return key
    try:
        value = compile_value(name).evaluate(StaticContext(parameters=dict(parameters)))
    except ExpressionError as exc:
        raise ValueError(f"the connection reference cannot be resolved: {exc.message}") from exc
    if not isinstance(value, str) or not value:
        raise ValueError("the connection reference must give a connection id (a string)")
    for entry in entries.values():
        if isinstance(entry, Mapping) and entry.get("connectionId") == value:
            connection_name = entry.get("connectionName")
            if isinstance(connection_name, str) and connection_name:
                return connection_name
    return _last_segment(value)
