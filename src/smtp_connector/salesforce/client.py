"""The Salesforce REST client: an OAuth token, ``describe`` and queries with paging.

One client per connection, over an ``httpx.AsyncClient``. It keeps its token and, when a call
answers 401 ``INVALID_SESSION_ID`` (the token expired or was revoked), gets a new one once and
repeats the call. Every failure becomes a :class:`~smtp_connector.errors.SalesforceError` here,
at the boundary, with a stable ``code``:

========================= ====================================================== =========
code                      when                                                   retryable
========================= ====================================================== =========
``auth_failed``           the token endpoint refused the credentials              no
``connect_failed``        no HTTP conversation (refused, reset, DNS, TLS)         yes
``timeout``               no answer within the connection's ``timeoutSeconds``    yes
``request_limit``         ``REQUEST_LIMIT_EXCEEDED`` or ``rate_limit_exceeded``   yes
``invalid_query``         ``MALFORMED_QUERY``, ``INVALID_FIELD``, ``INVALID_TYPE``  no
``not_found``             ``NOT_FOUND`` (an object or version that does not exist) no
``salesforce_unavailable`` a 5xx answer                                           yes
``salesforce_error``      any other refusal or an answer that is not Salesforce's  no
========================= ====================================================== =========

URLs are checked (:mod:`smtp_connector.salesforce.urls`): the login URL when the connection is
saved, the ``instance_url`` of each token answer, and every name just before a call; a
``nextRecordsUrl`` must be a path on the instance. Tokens and secrets never appear in errors.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import quote

import httpx
from anyio import to_thread

from smtp_connector.errors import HostNotAllowed, InvalidInput, SalesforceError
from smtp_connector.hosts import HostAllowList
from smtp_connector.salesforce.urls import check_resolved, checked_url

__all__ = [
    "DEFAULT_API_VERSION",
    "DEFAULT_LOGIN_URL",
    "Credentials",
    "GrantType",
    "SalesforceClient",
    "Token",
]

DEFAULT_LOGIN_URL = "https://login.salesforce.com"
DEFAULT_API_VERSION = "59.0"
MAX_PAGES = 500
"""Pages one query may follow (Salesforce sends up to 2,000 records a page)."""
THREAD_PARSE_BYTES = 64 * 1024
"""An answer larger than this is parsed on a worker thread, off the event loop."""
MAX_ANSWER_BYTES = 64 * 1024 * 1024

_CLIENT_HINT = "Check clientId and clientSecret: the connected app's consumer key and secret."
_AUTH_HINTS = {
    "invalid_grant": (
        "Check username, password and securityToken (Salesforce appends the token to the "
        "password), that the user may use the API, and that the org allows the OAuth "
        "username-password flow."
    ),
    "invalid_client_id": "Check clientId: the connected app's consumer key.",
    "invalid_client": _CLIENT_HINT,
    "invalid_client_credentials": _CLIENT_HINT,
    "inactive_user": "The Salesforce user is inactive: use an active user.",
    "inactive_org": "The Salesforce organisation is inactive or locked.",
    "unsupported_grant_type": (
        "This login URL does not offer that grant type: client_credentials needs the org's My "
        "Domain URL (https://<domain>.my.salesforce.com) and the flow enabled in the app."
    ),
}
_QUERY_ERRORS = {
    "MALFORMED_QUERY",
    "INVALID_FIELD",
    "INVALID_TYPE",
    "INVALID_QUERY_FILTER_OPERATOR",
}


class GrantType(StrEnum):
    PASSWORD = "password"  # noqa: S105 (the grant's name)
    CLIENT_CREDENTIALS = "client_credentials"


@dataclass(frozen=True)
class Credentials:
    """What a Salesforce connection logs in with (secrets in the clear: keep it in memory)."""

    login_url: str
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    grant_type: GrantType = GrantType.PASSWORD
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    security_token: str | None = field(default=None, repr=False)
    api_version: str = DEFAULT_API_VERSION
    timeout_seconds: float = 30.0

    def form(self) -> dict[str, str]:
        """The token request's form fields."""
        data = {"grant_type": self.grant_type.value, "client_id": self.client_id}
        if self.client_secret:
            data["client_secret"] = self.client_secret
        if self.grant_type is GrantType.PASSWORD:
            data["username"] = self.username or ""
            data["password"] = (self.password or "") + (self.security_token or "")
        return data


@dataclass(frozen=True)
class Token:
    """A token answer: the bearer token, the instance to call, and who it is."""

    access_token: str = field(repr=False)
    instance_url: str
    identity_url: str
    issued_at: datetime | None

    @property
    def organization_id(self) -> str | None:
        """The org id from the identity URL (``.../id/<orgId>/<userId>``)."""
        parts = self.identity_url.rstrip("/").split("/")
        return parts[-2] if len(parts) >= 2 and "id" in parts[:-2] else None

    @property
    def user_id(self) -> str | None:
        parts = self.identity_url.rstrip("/").split("/")
        return parts[-1] if len(parts) >= 2 and "id" in parts[:-2] else None


class SalesforceClient:
    """Calls Salesforce for one connection; see the module docstring. Close with ``aclose``."""

    def __init__(
        self,
        credentials: Credentials,
        hosts: HostAllowList | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.credentials = credentials
        self._hosts = hosts or HostAllowList()
        self._http = httpx.AsyncClient(
            timeout=credentials.timeout_seconds, follow_redirects=False, transport=transport
        )
        self._token: Token | None = None
        self.logins = 0
        """Tokens obtained so far (for tests and logs)."""

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> SalesforceClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    @property
    def api_path(self) -> str:
        return f"/services/data/v{self.credentials.api_version}"

    async def login(self) -> Token:
        """A new token from the login URL's token endpoint; raises SalesforceError."""
        url = f"{self.credentials.login_url}/services/oauth2/token"
        status, raw = await self._send("POST", url, data=self.credentials.form())
        body = await _json(raw)
        if status != 200:
            raise _token_error(status, body)
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise _bad_answer("the token answer has no access_token")
        instance = body.get("instance_url")
        if not isinstance(instance, str):
            raise _bad_answer("the token answer has no instance_url")
        try:
            instance = checked_url(instance, self._hosts, "instance_url")
        except (InvalidInput, HostNotAllowed) as exc:
            shown = instance[:200]
            raise SalesforceError(
                "instance_not_allowed",
                f"Salesforce named the instance {shown!r}, which this service may not call: "
                f"{exc.message}",
                hint="Check loginUrl: it should be Salesforce's login or My Domain URL.",
            ) from exc
        self._token = Token(
            access_token=body["access_token"],
            instance_url=instance,
            identity_url=str(body.get("id") or ""),
            issued_at=_issued_at(body.get("issued_at")),
        )
        self.logins += 1
        return self._token

    async def token(self) -> Token:
        """The current token, logging in first when there is none."""
        return self._token if self._token is not None else await self.login()

    async def describe(self, sobject: str) -> dict[str, Any]:
        """The object's describe answer (its ``fields`` with ``name`` and ``type``)."""
        body = await self.get(f"{self.api_path}/sobjects/{quote(sobject, safe='')}/describe")
        if not isinstance(body, dict) or not isinstance(body.get("fields"), list):
            raise _bad_answer(f"the describe answer of {sobject!r} has no fields")
        return body

    async def query(self, soql: str) -> AsyncIterator[list[dict[str, Any]]]:
        """The records of ``soql``, a page at a time, following ``nextRecordsUrl``."""
        path = f"{self.api_path}/query?q={quote(soql, safe='')}"
        for _ in range(MAX_PAGES):
            body = await self.get(path)
            if not isinstance(body, dict) or not isinstance(body.get("records"), list):
                raise _bad_answer("the query answer has no records")
            yield [r for r in body["records"] if isinstance(r, dict)]
            following = body.get("nextRecordsUrl")
            if body.get("done", True) or not following:
                return
            if not isinstance(following, str) or not following.startswith("/services/data/"):
                raise _bad_answer("nextRecordsUrl is not a path on the instance")
            path = following
        raise SalesforceError(
            "salesforce_error", f"The query ran past {MAX_PAGES} pages; narrow it with $filter."
        )

    async def get(self, path: str) -> Any:
        """GET a REST path on the instance, as JSON; a new token once on 401."""
        token = await self.token()
        status, raw = await self._send("GET", token.instance_url + path, token=token)
        if status == 401:
            token = await self.login()
            status, raw = await self._send("GET", token.instance_url + path, token=token)
        body = await _json(raw)
        if status != 200:
            raise _rest_error(status, body)
        return body

    async def _send(
        self,
        method: str,
        url: str,
        *,
        token: Token | None = None,
        data: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """The answer's status and body (at most ``MAX_ANSWER_BYTES``)."""
        await check_resolved(url)
        headers = {"Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token.access_token}"
        try:
            async with self._http.stream(method, url, headers=headers, data=data) as answer:
                size = 0
                chunks: list[bytes] = []
                async for chunk in answer.aiter_bytes():
                    size += len(chunk)
                    if size > MAX_ANSWER_BYTES:
                        raise _bad_answer(f"an answer was larger than {MAX_ANSWER_BYTES} bytes")
                    chunks.append(chunk)
                return answer.status_code, b"".join(chunks)
        except httpx.TimeoutException as exc:
            raise SalesforceError(
                "timeout",
                f"Salesforce did not answer within {self.credentials.timeout_seconds:g} s.",
                hint="Try again; raise timeoutSeconds if it keeps happening.",
                retryable=True,
            ) from exc
        except httpx.HTTPError as exc:
            raise SalesforceError(
                "connect_failed",
                f"Could not talk to {httpx.URL(url).host}: {type(exc).__name__}.",
                hint="Check loginUrl (and that this host can reach Salesforce over HTTPS).",
                retryable=True,
            ) from exc


async def _json(raw: bytes) -> Any:
    """An answer's JSON, or None when it has none; parsed off the loop when large."""
    if not raw:
        return None
    try:
        if len(raw) > THREAD_PARSE_BYTES:
            return await to_thread.run_sync(json.loads, raw)
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


def _issued_at(value: object) -> datetime | None:
    """``issued_at``: milliseconds since the epoch, as a string."""
    if isinstance(value, str) and value.isdigit() and len(value) <= 15:
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    return None


def _bad_answer(what: str) -> SalesforceError:
    return SalesforceError("salesforce_error", f"Salesforce's answer was not usable: {what}.")


def _token_error(status: int, body: Any) -> SalesforceError:
    error = body.get("error") if isinstance(body, dict) else None
    described = body.get("error_description") if isinstance(body, dict) else None
    said = f"{error}: {described}" if described else str(error)
    if status >= 500:
        return SalesforceError(
            "salesforce_unavailable",
            f"Salesforce's token endpoint answered {status}.",
            hint="Try again later.",
            retryable=True,
        )
    if error == "rate_limit_exceeded":
        return SalesforceError(
            "request_limit",
            "Salesforce refused the login: too many logins (rate_limit_exceeded).",
            hint="Wait and try again; logins are limited per user per hour.",
            retryable=True,
        )
    if not isinstance(error, str):
        return SalesforceError(
            "auth_failed", f"The login URL answered {status} without an OAuth error."
        )
    hint = _AUTH_HINTS.get(error, "Check the connection's credentials and loginUrl.")
    return SalesforceError("auth_failed", f"Salesforce refused the login ({said}).", hint=hint)


def _rest_error(status: int, body: Any) -> SalesforceError:
    first = body[0] if isinstance(body, list) and body and isinstance(body[0], dict) else {}
    code = str(first.get("errorCode") or f"HTTP {status}")
    message = str(first.get("message") or "")[:500]
    said = f"{code}: {message}" if message else code
    if status == 401:
        return SalesforceError(
            "auth_failed",
            f"Salesforce refused a new token too ({said}).",
            hint="Check that the user may use the API and that sessions are not locked to an IP.",
        )
    if code == "REQUEST_LIMIT_EXCEEDED":
        return SalesforceError(
            "request_limit",
            f"Salesforce's API request limit is used up ({said}).",
            hint="Calls resume when the org's rolling 24-hour limit frees up.",
            retryable=True,
        )
    if code in _QUERY_ERRORS:
        return SalesforceError("invalid_query", f"Salesforce refused the query ({said}).")
    if status == 404 or code == "NOT_FOUND":
        return SalesforceError("not_found", f"Salesforce has no such resource ({said}).")
    if status >= 500:
        return SalesforceError(
            "salesforce_unavailable",
            f"Salesforce answered {status} ({said}).",
            hint="Try again later.",
            retryable=True,
        )
    return SalesforceError("salesforce_error", f"Salesforce answered {status} ({said}).")
