"""URI parsing functions: uriHost, uriPath, uriPathAndQuery, uriPort, uriQuery, uriScheme.

They read an absolute URI as .NET's ``System.Uri`` does: the scheme and host in lower case, the
path ``/`` when a URI with an authority has none, the query with its ``?``, the port of the
scheme when none is written (``https`` 443), characters outside the URI alphabet percent-encoded.
Dot segments (``/a/../b``) are kept as written, where .NET would remove them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import SplitResult, quote, urlsplit

from smtp_connector.workflows.expressions.context import EvaluationContext
from smtp_connector.workflows.expressions.functions.checks import excerpt, failure, want_str
from smtp_connector.workflows.expressions.functions.registry import function

DEFAULT_PORTS = {
    "http": 80,
    "https": 443,
    "ws": 80,
    "wss": 443,
    "ftp": 21,
    "sftp": 22,
    "ssh": 22,
    "telnet": 23,
    "smtp": 25,
    "mailto": 25,
    "gopher": 70,
    "nntp": 119,
    "news": 119,
    "ldap": 389,
}
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"
_HOST_REQUIRED = frozenset(("http", "https", "ws", "wss", "ftp"))


def parse_uri(name: str, value: Any) -> SplitResult:
    """The parts of an absolute URI; raises the runtime-style error otherwise."""
    text = want_str(name, value, None)
    try:
        parts = urlsplit(text.strip())
        parts.port  # noqa: B018  (a bad port raises ValueError here)
    except ValueError:
        parts = None
    if (
        parts is None
        or not parts.scheme
        or any(ch.isspace() for ch in parts.netloc)
        or (parts.scheme.lower() in _HOST_REQUIRED and not parts.hostname)
    ):
        raise failure(
            name,
            f"expects its parameter to be a well-formed absolute URI. "
            f"The provided value '{excerpt(text)}' is not.",
        )
    return parts


def _path(parts: SplitResult) -> str:
    path = quote(parts.path, safe=_PATH_SAFE)
    return path or ("/" if parts.netloc else "")


def _query(parts: SplitResult) -> str:
    return f"?{quote(parts.query, safe=_QUERY_SAFE)}" if parts.query else ""


@function("uriHost", 1)
def uri_host(ctx: EvaluationContext, args: Sequence[Any]) -> str:
    """The host (lower case; an IPv6 address in brackets)."""
    host = parse_uri("uriHost", args[0]).hostname or ""
    return f"[{host}]" if ":" in host else host


@function("uriPath", 1)
def uri_path(ctx: EvaluationContext, args: Sequence[Any]) -> str:
    """The path (``/`` when empty)."""
    return _path(parse_uri("uriPath", args[0]))


@function("uriPathAndQuery", 1)
def uri_path_and_query(ctx: EvaluationContext, args: Sequence[Any]) -> str:
    """The path and the query."""
    parts = parse_uri("uriPathAndQuery", args[0])
    return _path(parts) + _query(parts)


@function("uriPort", 1)
def uri_port(ctx: EvaluationContext, args: Sequence[Any]) -> int:
    """The port written in the URI, else the scheme's default (-1 for an unknown scheme)."""
    parts = parse_uri("uriPort", args[0])
    if parts.port is not None:
        return parts.port
    return DEFAULT_PORTS.get(parts.scheme.lower(), -1)


@function("uriQuery", 1)
def uri_query(ctx: EvaluationContext, args: Sequence[Any]) -> str:
    """The query with its ``?`` (empty when there is none)."""
    return _query(parse_uri("uriQuery", args[0]))


@function("uriScheme", 1)
def uri_scheme(ctx: EvaluationContext, args: Sequence[Any]) -> str:
    """The scheme in lower case."""
    return parse_uri("uriScheme", args[0]).scheme.lower()
