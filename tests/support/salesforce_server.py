"""A fake Salesforce for tests: the OAuth token endpoint and the REST calls the connector uses.

A real HTTP server (Starlette served by uvicorn in a background thread, on 127.0.0.1 and a port
the OS picks) that answers with Salesforce's documented shapes, status codes and headers, so
that integration and acceptance tests exercise real HTTP.

    server = FakeSalesforce(client_id="test-client", client_secret="test-secret", page_size=2)
    server.add_user("ada@example.com", password="pw", security_token="TOKEN")
    server.add_object("Lead", {"Name": "string", "Email": "email", "Status": "picklist"})
    lead = server.add_record("Lead", Name="Ada Lovelace", Email="ada@example.com")
    with server:                                  # start() ... stop()
        server.url                                # "http://127.0.0.1:PORT" (also login_url)
        ... POST {url}/services/oauth2/token, GET {url}/services/data/v62.0/query?q=... ...
        server.requests, server.tokens_issued, server.rest_calls

Endpoints:

``POST /services/oauth2/token``
    ``grant_type=password`` (``username`` and ``password`` + the user's security token) and
    ``grant_type=client_credentials`` (as the run-as user: the first user added unless one is
    added with ``run_as=True``), the client's id and secret in the form or in HTTP Basic.
    Errors are 400 with ``{"error": ..., "error_description": ...}``.
``GET /services/data``
    The API versions (no token needed), ``v31.0`` to ``v66.0``.
``/services/data/vNN.N/...``
    Needs ``Authorization: Bearer <token>`` (401 ``INVALID_SESSION_ID`` otherwise); every
    answer carries ``Sforce-Limit-Info: api-usage=<used>/<limit>``. Resources: ``sobjects``,
    ``sobjects/{Object}/describe``, ``query?q=<SOQL>`` and ``query/<locator>-<offset>`` (the
    next page of a query, frozen when the query ran). ``Sforce-Query-Options: batchSize=n``
    asks for smaller pages than ``page_size``.

What counts as a REST call (``rest_calls``, the api usage, a token's ``token_calls`` budget, the
faults of ``limit_exceeded`` and ``fail_next``) is a call under ``/services/data/vNN.N/`` that
carried a valid token. ``delay_next`` applies to the next such call whether or not its token
is valid.

Everything a test reads or changes is guarded by one lock, so records may be added while the
server runs (the next query sees them). The configuration attributes ``page_size``,
``token_calls``, ``client_credentials`` and ``api_limit`` may be changed at any time; a token
takes its ``token_calls`` budget when it is issued. ``reset()`` forgets users, objects, records,
tokens, faults and the request log, for a server shared by several tests.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import itertools
import json
import logging
import re
import secrets
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from support.soql import FIELD_TYPES, SoqlError, compile_query

__all__ = ["FakeSalesforce", "RecordedRequest", "salesforce_id"]

log = logging.getLogger("tests.salesforce_server")

HOST = "127.0.0.1"
OLDEST_VERSION, LATEST_VERSION = 31, 66
"""The API versions served (``v31.0`` ... ``v66.0``); others answer 404 ``NOT_FOUND``."""
MAX_DELAY = 30.0
"""The longest ``delay_next`` accepted, in seconds."""

_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 10.0
_GRACEFUL_SECONDS = 1
_JSON = "application/json;charset=UTF-8"
_VERSION = re.compile(r"v(\d+)\.0")
_BATCH_SIZE = re.compile(r"(?:^|[,;\s])batchSize\s*=\s*(\d+)", re.IGNORECASE)
_FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ID_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

SYSTEM_FIELDS: Mapping[str, str] = {
    "Id": "id",
    "CreatedDate": "datetime",
    "LastModifiedDate": "datetime",
    "SystemModstamp": "datetime",
}
"""The fields every object has."""
KEY_PREFIXES: Mapping[str, str] = {
    "Account": "001",
    "Contact": "003",
    "User": "005",
    "Opportunity": "006",
    "Lead": "00Q",
    "Task": "00T",
    "Event": "00U",
    "CampaignMember": "00v",
    "Case": "500",
    "Campaign": "701",
}
"""Salesforce's key prefixes of standard objects; other objects get ``a00``, ``a01``..."""

NOT_FOUND = [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]
INVALID_SESSION = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
LIMIT_EXCEEDED = [
    {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
]


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it, with the status it answered."""

    method: str
    path: str
    query: dict[str, str]
    """The URL's query parameters (the last value of a repeated one)."""
    soql: str | None
    """The ``q`` parameter of a ``query`` call; ``None`` for every other request."""
    status: int


@dataclass
class _User:
    username: str
    password: str
    security_token: str
    user_id: str


@dataclass
class _Token:
    user_id: str
    calls_left: int | None


@dataclass
class _SObject:
    name: str
    label: str
    key_prefix: str
    fields: dict[str, str]
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    """By Id, in the order they were added (which is also Id order)."""


@dataclass(frozen=True)
class _Cursor:
    rows: list[dict[str, Any]]
    version: str


@dataclass(frozen=True)
class _Answer:
    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)


def salesforce_id(prefix: str, number: int) -> str:
    """An 18-character Salesforce-style id: key prefix, ``5g``, ``number`` in base 62, and the
    three-character case-safe suffix. Ids of one prefix sort in the order of ``number``.

    Raises:
        ValueError: if ``prefix`` is not three characters or ``number`` does not fit.
    """
    if len(prefix) != 3 or number < 0 or number >= 62**10:
        raise ValueError(f"cannot make an id from {prefix!r} and {number}")
    digits = []
    for _ in range(10):
        number, digit = divmod(number, 62)
        digits.append(_BASE62[digit])
    body = prefix + "5g" + "".join(reversed(digits))
    suffix = ""
    for start in range(0, 15, 5):
        bits = sum(1 << i for i, char in enumerate(body[start : start + 5]) if "A" <= char <= "Z")
        suffix += _ID_SUFFIX[bits]
    return body + suffix


def render_datetime(value: datetime) -> str:
    """A datetime as Salesforce writes it: ``2024-01-02T03:04:05.000+0000`` (UTC)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _utc_seconds(value: datetime) -> datetime:
    """``value`` in UTC with one-second resolution (a naive value is taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0)


def _label(name: str) -> str:
    """``LeadSource`` -> ``Lead Source``; ``Score__c`` -> ``Score``."""
    base = name.removesuffix("__c").replace("_", " ")
    words: list[str] = []
    for index, char in enumerate(base):
        starts_word = (
            index > 0
            and char.isupper()
            and (base[index - 1].islower() or (index + 1 < len(base) and base[index + 1].islower()))
            and base[index - 1] != " "
        )
        words.append(" " + char if starts_word else char)
    return "".join(words)


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    """The id and secret of an HTTP Basic ``Authorization`` header, if it is one."""
    if not header or header[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, colon, secret = decoded.partition(":")
    return (client_id, secret) if colon else None


def _oauth_error(error: str, description: str) -> _Answer:
    return _Answer(400, {"error": error, "error_description": description})


class _UvicornServer(uvicorn.Server):
    """uvicorn's server, telling a thread when its startup is over (successful or not)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.startup_done = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.startup_done.set()


class FakeSalesforce:
    """A fake Salesforce org; see the module docstring."""

    def __init__(
        self,
        *,
        client_id: str = "test-client",
        client_secret: str = "test-secret",
        org_id: str = "00D5g000000TEST1",
        page_size: int = 2000,
        token_calls: int | None = None,
        client_credentials: bool = True,
        api_limit: int = 15000,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.org_id = org_id
        self.page_size = page_size
        """The most records a query page holds."""
        self.token_calls = token_calls
        """How many REST calls an access token is good for (``None``: no end)."""
        self.client_credentials = client_credentials
        """Whether ``grant_type=client_credentials`` is accepted (login.salesforce.com: no)."""
        self.api_limit = api_limit
        self.instance_url: str | None = None
        """What token answers name as the instance (default: this server's URL)."""
        """The org's daily API calls: past it every REST call answers 403."""
        self.host = HOST
        self.port = 0
        self._lock = threading.Lock()
        self._server: _UvicornServer | None = None
        self._thread: threading.Thread | None = None
        self._app = Starlette(
            routes=[
                Route(
                    "/{path:path}",
                    self._endpoint,
                    methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
                )
            ]
        )
        self._user_ids = itertools.count(1)
        self._reset_state()

    def _reset_state(self) -> None:
        """Forget everything a test configured or caused (the caller holds the lock or is
        ``__init__``)."""
        self._users: dict[str, _User] = {}
        self._run_as: str | None = None
        self._objects: dict[str, _SObject] = {}
        self._numbers = itertools.count(1)
        self._custom_prefixes = itertools.count(0)
        self._tokens: dict[str, _Token] = {}
        self._cursors: dict[str, _Cursor] = {}
        self._faults: list[_Answer] = []
        self._delays: list[float] = []
        self._login_delays: list[float] = []
        self.delayed_calls = 0
        """REST calls that have started waiting out a ``delay_next`` (the call is in flight)."""
        self._requests: list[RecordedRequest] = []
        self._errors: list[BaseException] = []
        self._tokens_issued = 0
        self._rest_calls = 0

    def reset(self) -> None:
        """Forget users, objects, records, tokens, cursors, faults, the request log, the
        counters and recorded errors; the configuration attributes stay as they are."""
        with self._lock:
            self._reset_state()

    def __repr__(self) -> str:
        return f"<FakeSalesforce {self.host}:{self.port}>"

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> FakeSalesforce:
        """Serve on 127.0.0.1 and a free port; returns once the server accepts connections.

        Raises:
            RuntimeError: if already started, or if uvicorn did not start within 10 s.
        """
        if self._thread is not None:
            raise RuntimeError("already started")
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted sockets only when the
        # protocol says TCP, and without it every keep-alive answer waits ~40 ms (Nagle).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.bind((HOST, 0))
            sock.listen(128)
        except OSError:
            sock.close()
            raise
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            self._app,
            host=HOST,
            port=self.port,
            loop="asyncio",
            lifespan="off",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=_GRACEFUL_SECONDS,
        )
        server = _UvicornServer(config)
        self._server = server
        self._thread = threading.Thread(
            target=self._serve,
            args=(server, sock),
            name=f"fake-salesforce-{self.port}",
            daemon=True,
        )
        self._thread.start()
        if not server.startup_done.wait(_START_TIMEOUT) or not server.started:
            self.stop()
            raise RuntimeError("the fake Salesforce did not start")
        return self

    @staticmethod
    def _serve(server: _UvicornServer, sock: socket.socket) -> None:
        try:
            server.run(sockets=[sock])
        finally:
            server.startup_done.set()  # a failure before startup() must not leave start() waiting
            sock.close()

    def stop(self) -> None:
        """Stop serving and join the thread (in-flight calls get ~1 s, then are cancelled).

        Raises:
            RuntimeError: if the server thread did not end within 10 s.
        """
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(_STOP_TIMEOUT)
        if thread.is_alive():  # pragma: no cover - would be a harness bug
            server.force_exit = True
            thread.join(_STOP_TIMEOUT)
            if thread.is_alive():
                raise RuntimeError(f"{thread.name} did not stop")
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeSalesforce:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``: the instance URL.

        Raises:
            RuntimeError: before ``start()``.
        """
        if self._server is None:
            raise RuntimeError("the fake Salesforce is not running")
        return f"http://{self.host}:{self.port}"

    @property
    def login_url(self) -> str:
        """Where the token endpoint is: the same server as ``url``."""
        return self.url

    # -- the org ---------------------------------------------------------------------------------

    def add_user(
        self,
        username: str,
        password: str,
        security_token: str | None = None,
        *,
        run_as: bool = False,
    ) -> str:
        """Add a user who may log in with the password flow; returns the user's id (``005...``).

        The first user added, or the last one added with ``run_as=True``, is the user the
        client credentials flow runs as.

        Raises:
            ValueError: if the username is taken (usernames ignore case).
        """
        with self._lock:
            key = username.lower()
            if key in self._users:
                raise ValueError(f"user {username!r} already exists")
            user_id = salesforce_id(KEY_PREFIXES["User"], next(self._user_ids))
            self._users[key] = _User(username, password, security_token or "", user_id)
            if run_as or self._run_as is None:
                self._run_as = key
            return user_id

    def add_object(
        self,
        name: str,
        fields: Mapping[str, str],
        *,
        label: str | None = None,
        key_prefix: str | None = None,
    ) -> None:
        """Add a queryable object with ``fields`` (name -> type: ``string``, ``email``,
        ``picklist``, ``datetime``, ``date``, ``boolean``, ``double``, ``int``...); ``Id``,
        ``CreatedDate``, ``LastModifiedDate`` and ``SystemModstamp`` are always there.

        Raises:
            ValueError: for a taken object name, a bad field name, an unknown type, or a system
                field given another type.
        """
        if not _FIELD_NAME.fullmatch(name):
            raise ValueError(f"bad object name {name!r}")
        all_fields = {"Id": "id"}
        for field_name, field_type in fields.items():
            if not _FIELD_NAME.fullmatch(field_name):
                raise ValueError(f"bad field name {field_name!r}")
            if field_type not in FIELD_TYPES:
                raise ValueError(
                    f"unknown field type {field_type!r} (known: {sorted(FIELD_TYPES)})"
                )
            system = SYSTEM_FIELDS.get(field_name)
            if system is not None and system != field_type:
                raise ValueError(f"{field_name} is always of type {system}")
            if any(f.lower() == field_name.lower() for f in all_fields if f != field_name):
                raise ValueError(f"field {field_name!r} is given twice")
            all_fields[field_name] = field_type
        all_fields.update({k: v for k, v in SYSTEM_FIELDS.items() if k != "Id"})
        with self._lock:
            if name.lower() in (n.lower() for n in self._objects):
                raise ValueError(f"object {name!r} already exists")
            if key_prefix is None:
                key_prefix = KEY_PREFIXES.get(name)
            if key_prefix is None:
                key_prefix = "a0" + _BASE62[next(self._custom_prefixes)]
            self._objects[name] = _SObject(name, label or _label(name), key_prefix, all_fields)

    def add_record(
        self, sobject: str, /, *, created: datetime | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Add a record and return a copy of it (Python values: ``datetime`` in UTC, ...).

        Its ``Id`` has the object's key prefix and is greater than every earlier one;
        ``CreatedDate`` is ``created`` or now (to the second, UTC), and ``LastModifiedDate`` and
        ``SystemModstamp`` equal it. Fields not given are null (booleans: false).

        Raises:
            KeyError: for an unknown object.
            ValueError: for an unknown or system field.
            TypeError: for a value that does not suit its field's type.
        """
        with self._lock:
            obj = self._object(sobject)
            stamp = _utc_seconds(created) if created is not None else _now()
            values = self._coerce(obj, fields)
            record_id = salesforce_id(obj.key_prefix, next(self._numbers))
            record: dict[str, Any] = {}
            for name, field_type in obj.fields.items():
                default = False if field_type == "boolean" else None
                record[name] = values.get(name, default)
            record.update(Id=record_id, CreatedDate=stamp, LastModifiedDate=stamp)
            record["SystemModstamp"] = stamp
            obj.records[record_id] = record
            return dict(record)

    def update_record(
        self, sobject: str, record_id: str, /, *, modified: datetime | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Change fields of a record; ``LastModifiedDate`` and ``SystemModstamp`` become
        ``modified`` or now. Returns a copy of the record.

        Raises:
            KeyError: for an unknown object or record.
            ValueError: for an unknown or system field.
            TypeError: for a value that does not suit its field's type.
        """
        with self._lock:
            obj = self._object(sobject)
            record = obj.records.get(record_id)
            if record is None:
                raise KeyError(f"no {obj.name} with Id {record_id!r}")
            record.update(self._coerce(obj, fields))
            stamp = _utc_seconds(modified) if modified is not None else _now()
            record["LastModifiedDate"] = record["SystemModstamp"] = stamp
            return dict(record)

    def records(self, sobject: str) -> list[dict[str, Any]]:
        """Copies of an object's records, in the order they were added.

        Raises:
            KeyError: for an unknown object.
        """
        with self._lock:
            return [dict(r) for r in self._object(sobject).records.values()]

    def _object(self, name: str) -> _SObject:
        for obj in self._objects.values():
            if obj.name.lower() == name.lower():
                return obj
        raise KeyError(f"no object {name!r} (add_object first)")

    @staticmethod
    def _coerce(obj: _SObject, fields: Mapping[str, Any]) -> dict[str, Any]:
        """``fields`` under their declared spelling, checked against their types."""
        names = {n.lower(): n for n in obj.fields}
        values: dict[str, Any] = {}
        for given, value in fields.items():
            name = names.get(given.lower())
            if name is None or name in SYSTEM_FIELDS:
                raise ValueError(f"{obj.name} has no settable field {given!r}")
            values[name] = _coerce_value(obj.name, name, obj.fields[name], value)
        return values

    # -- faults and observation ----------------------------------------------------------------

    def limit_exceeded(self, times: int = 1) -> None:
        """The next ``times`` REST calls answer 403 ``REQUEST_LIMIT_EXCEEDED``."""
        self.fail_next(403, LIMIT_EXCEEDED, times)

    def fail_next(self, status: int, body: Any, times: int = 1) -> None:
        """The next ``times`` REST calls answer ``status`` with ``body`` (JSON unless ``str``
        or ``bytes``), after the faults already queued."""
        with self._lock:
            self._faults.extend(_Answer(status, body) for _ in range(times))

    def delay_next(self, seconds: float) -> None:
        """The next REST call waits ``seconds`` before it is handled (``asyncio.sleep``).

        Raises:
            ValueError: unless 0 <= seconds <= ``MAX_DELAY``.
        """
        if not 0 <= seconds <= MAX_DELAY:
            raise ValueError(f"delay must be between 0 and {MAX_DELAY} s")
        with self._lock:
            self._delays.append(seconds)

    def delay_login(self, seconds: float) -> None:
        """The next token request waits ``seconds`` before it is handled (``asyncio.sleep``).

        Raises:
            ValueError: unless 0 <= seconds <= ``MAX_DELAY``.
        """
        if not 0 <= seconds <= MAX_DELAY:
            raise ValueError(f"delay must be between 0 and {MAX_DELAY} s")
        with self._lock:
            self._login_delays.append(seconds)

    def expire_tokens(self) -> None:
        """Every access token issued so far stops working (401 ``INVALID_SESSION_ID``)."""
        with self._lock:
            self._tokens.clear()

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request answered so far, oldest first."""
        with self._lock:
            return list(self._requests)

    @property
    def queries(self) -> list[str]:
        """The SOQL text of every ``query`` call, oldest first."""
        with self._lock:
            return [r.soql for r in self._requests if r.soql is not None]

    @property
    def tokens_issued(self) -> int:
        with self._lock:
            return self._tokens_issued

    @property
    def rest_calls(self) -> int:
        """REST calls that carried a valid token (the org's api usage)."""
        with self._lock:
            return self._rest_calls

    @property
    def errors(self) -> list[BaseException]:
        """Unexpected exceptions inside the server (a harness bug; each answered 500)."""
        with self._lock:
            return list(self._errors)

    # -- HTTP --------------------------------------------------------------------------------------

    async def _endpoint(self, request: Request) -> Response:
        path = request.url.path
        soql = None
        try:
            if path == "/services/oauth2/token":
                answer = await self._token_endpoint(request)
            elif path.rstrip("/") == "/services/data":
                answer = self._versions(request.method)
            elif path.startswith("/services/data/"):
                if path.rstrip("/").endswith("/query"):
                    soql = request.query_params.get("q")
                answer = await self._rest(request, path.removeprefix("/services/data/"))
            else:
                answer = _Answer(404, NOT_FOUND)
        except Exception as exc:
            log.exception("the fake Salesforce failed")
            with self._lock:
                self._errors.append(exc)
            answer = _Answer(
                500, [{"errorCode": "UNKNOWN_EXCEPTION", "message": f"fake Salesforce: {exc!r}"}]
            )
        with self._lock:
            self._requests.append(
                RecordedRequest(
                    request.method, path, dict(request.query_params), soql, answer.status
                )
            )
        body = answer.body
        if isinstance(body, str):
            body = body.encode()
        elif not isinstance(body, bytes):
            body = json.dumps(body).encode()
        return Response(body, answer.status, headers=dict(answer.headers), media_type=_JSON)

    # -- OAuth

    async def _token_endpoint(self, request: Request) -> _Answer:
        with self._lock:
            delay = self._login_delays.pop(0) if self._login_delays else 0.0
        if delay:
            await asyncio.sleep(delay)
        if request.method != "POST":
            return _Answer(
                405, {"error": "invalid_request", "error_description": "must use HTTP POST"}
            )
        form = dict(
            parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
        )
        grant = form.get("grant_type", "")
        if grant not in ("password", "client_credentials") or (
            grant == "client_credentials" and not self.client_credentials
        ):
            return _oauth_error("unsupported_grant_type", "grant type not supported")
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = _basic_credentials(request.headers.get("authorization"))
        if client_id is None and basic is not None:
            client_id, secret = basic
        if client_id != self.client_id:
            return _oauth_error("invalid_client_id", "client identifier invalid")
        if secret is None or not hmac.compare_digest(secret.encode(), self.client_secret.encode()):
            return _oauth_error("invalid_client", "invalid client credentials")
        with self._lock:
            if grant == "password":
                user = self._users.get(form.get("username", "").lower())
                given = form.get("password", "").encode()
                if user is None or not hmac.compare_digest(
                    given, (user.password + user.security_token).encode()
                ):
                    return _oauth_error("invalid_grant", "authentication failure")
            else:
                if self._run_as is None:
                    return _oauth_error("invalid_grant", "no client credentials user enabled")
                user = self._users[self._run_as]
            body = self._issue_token(user)
        if grant == "client_credentials":
            body["scope"] = "api"
        return _Answer(200, body)

    def _issue_token(self, user: _User) -> dict[str, Any]:
        """A new access token for ``user`` and the token endpoint's answer (lock held)."""
        token = f"{self.org_id}!{secrets.token_urlsafe(48)}"
        self._tokens[token] = _Token(user.user_id, self.token_calls)
        self._tokens_issued += 1
        identity = f"{self.url}/id/{self.org_id}/{user.user_id}"
        issued_at = str(time.time_ns() // 1_000_000)
        digest = hmac.new(
            self.client_secret.encode(), (identity + issued_at).encode(), hashlib.sha256
        ).digest()
        return {
            "access_token": token,
            "instance_url": self.instance_url or self.url,
            "id": identity,
            "token_type": "Bearer",
            "issued_at": issued_at,
            "signature": base64.b64encode(digest).decode("ascii"),
        }

    # -- REST

    def _versions(self, method: str) -> _Answer:
        if method not in ("GET", "HEAD"):
            return _method_not_allowed(method)
        seasons = ("Winter", "Spring", "Summer")
        versions = []
        for number in range(OLDEST_VERSION, LATEST_VERSION + 1):
            since_winter_11 = number - 20  # v20.0 was Winter '11; three releases a year
            season, year = seasons[since_winter_11 % 3], 11 + since_winter_11 // 3
            versions.append(
                {
                    "label": f"{season} '{year:02d}",
                    "url": f"/services/data/v{number}.0",
                    "version": f"{number}.0",
                }
            )
        return _Answer(200, versions)

    async def _rest(self, request: Request, rest: str) -> _Answer:
        with self._lock:
            delay = self._delays.pop(0) if self._delays else 0.0
            if delay:
                self.delayed_calls += 1
        if delay:
            await asyncio.sleep(delay)
        with self._lock:
            token = self._token(request.headers.get("authorization"))
            if token is None:
                return self._with_usage(
                    _Answer(401, INVALID_SESSION, {"WWW-Authenticate": "Token"})
                )
            if token.calls_left is not None:
                token.calls_left -= 1
            self._rest_calls += 1
            if self._faults:
                return self._with_usage(self._faults.pop(0))
            if self._rest_calls > self.api_limit:
                return self._with_usage(_Answer(403, LIMIT_EXCEEDED))
            version, _, resource = rest.partition("/")
            match = _VERSION.fullmatch(version)
            if match is None or not OLDEST_VERSION <= int(match.group(1)) <= LATEST_VERSION:
                return self._with_usage(_Answer(404, NOT_FOUND))
            answer = self._resource(request, version, resource.rstrip("/").split("/"))
            return self._with_usage(answer)

    def _token(self, header: str | None) -> _Token | None:
        """The live token of a ``Bearer`` (or ``OAuth``) header, or None (lock held)."""
        if not header:
            return None
        scheme, _, value = header.partition(" ")
        if scheme.lower() not in ("bearer", "oauth"):
            return None
        token = self._tokens.get(value.strip())
        if token is None or token.calls_left == 0:
            return None
        return token

    def _with_usage(self, answer: _Answer) -> _Answer:
        headers = dict(answer.headers)
        headers["Sforce-Limit-Info"] = f"api-usage={self._rest_calls}/{self.api_limit}"
        return _Answer(answer.status, answer.body, headers)

    def _resource(self, request: Request, version: str, parts: list[str]) -> _Answer:
        """Answer a REST resource under ``/services/data/<version>/`` (lock held)."""
        base = f"/services/data/{version}"
        known = (
            parts in ([""], ["sobjects"], ["query"])
            or (len(parts) == 3 and parts[0] == "sobjects" and parts[2] == "describe")
            or (len(parts) == 2 and parts[0] == "query")
        )
        if not known:
            return _Answer(404, NOT_FOUND)
        if request.method not in ("GET", "HEAD"):
            return _method_not_allowed(request.method)
        if parts == [""]:
            return _Answer(200, {"sobjects": f"{base}/sobjects", "query": f"{base}/query"})
        if parts == ["sobjects"]:
            return _Answer(200, self._global_describe(base))
        if parts[0] == "sobjects":
            return self._describe(parts[1])
        if parts == ["query"]:
            return self._query(request, version)
        return self._query_more(request, version, parts[1])

    def _global_describe(self, base: str) -> dict[str, Any]:
        return {
            "encoding": "UTF-8",
            "maxBatchSize": 200,
            "sobjects": [
                {
                    "name": obj.name,
                    "label": obj.label,
                    "keyPrefix": obj.key_prefix,
                    "custom": obj.name.endswith("__c"),
                    "queryable": True,
                    "urls": {
                        "sobject": f"{base}/sobjects/{obj.name}",
                        "describe": f"{base}/sobjects/{obj.name}/describe",
                    },
                }
                for obj in self._objects.values()
            ],
        }

    def _describe(self, name: str) -> _Answer:
        try:
            obj = self._object(name)
        except KeyError:
            return _Answer(404, NOT_FOUND)
        fields = [
            {
                "name": field_name,
                "type": field_type,
                "label": f"{obj.label} ID" if field_name == "Id" else _label(field_name),
                "custom": field_name.endswith("__c"),
                "nillable": field_name not in SYSTEM_FIELDS and field_type != "boolean",
            }
            for field_name, field_type in obj.fields.items()
        ]
        return _Answer(
            200,
            {
                "name": obj.name,
                "label": obj.label,
                "keyPrefix": obj.key_prefix,
                "custom": obj.name.endswith("__c"),
                "queryable": True,
                "fields": fields,
            },
        )

    def _page_size(self, request: Request) -> int:
        """``page_size``, or less when ``Sforce-Query-Options: batchSize=n`` asks for less."""
        match = _BATCH_SIZE.search(request.headers.get("sforce-query-options", ""))
        if match is not None and int(match.group(1)) >= 1:
            return min(self.page_size, int(match.group(1)))
        return self.page_size

    def _query(self, request: Request, version: str) -> _Answer:
        soql = request.query_params.get("q", "")
        if not soql.strip():
            return _Answer(
                400,
                [{"message": "A query string has to be specified", "errorCode": "MALFORMED_QUERY"}],
            )
        schema = {obj.name: obj.fields for obj in self._objects.values()}
        try:
            query = compile_query(soql, schema)
        except SoqlError as exc:
            return _Answer(400, [{"message": exc.message, "errorCode": exc.code}])
        obj = self._objects[query.sobject]
        rows = []
        for record in query.run(obj.records.values()):
            row: dict[str, Any] = {
                "attributes": {
                    "type": obj.name,
                    "url": f"/services/data/{version}/sobjects/{obj.name}/{record['Id']}",
                }
            }
            row.update((name, _render(record[name])) for name in query.fields)
            rows.append(row)
        return self._page(_Cursor(rows, version), None, 0, self._page_size(request), version)

    def _query_more(self, request: Request, version: str, position: str) -> _Answer:
        locator, dash, offset = position.rpartition("-")
        cursor = self._cursors.get(locator) if dash else None
        if cursor is None or not offset.isdigit() or int(offset) > len(cursor.rows):
            return _Answer(
                400, [{"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}]
            )
        return self._page(cursor, locator, int(offset), self._page_size(request), version)

    def _page(
        self, cursor: _Cursor, locator: str | None, offset: int, size: int, version: str
    ) -> _Answer:
        """The page of ``cursor`` from ``offset``; a locator is made the first time one is
        needed (lock held)."""
        rows = cursor.rows[offset : offset + size]
        done = offset + len(rows) >= len(cursor.rows)
        body: dict[str, Any] = {"totalSize": len(cursor.rows), "done": done}
        if not done:
            if locator is None:
                locator = salesforce_id("01g", next(self._numbers))
                self._cursors[locator] = cursor
            body["nextRecordsUrl"] = f"/services/data/{version}/query/{locator}-{offset + size}"
        body["records"] = rows
        return _Answer(200, body)


def _method_not_allowed(method: str) -> _Answer:
    return _Answer(
        405,
        [
            {
                "errorCode": "METHOD_NOT_ALLOWED",
                "message": f"HTTP Method '{method}' not allowed. Allowed are GET,HEAD",
            }
        ],
    )


def _render(value: Any) -> Any:
    """A stored value as Salesforce's JSON has it."""
    if isinstance(value, datetime):
        return render_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _coerce_value(sobject: str, name: str, field_type: str, value: Any) -> Any:
    """``value`` as stored for a field of ``field_type``.

    Raises:
        TypeError: if the value does not suit the type.
    """
    kind = FIELD_TYPES[field_type]
    if value is None:
        return False if kind == "boolean" else None
    ok: bool
    if kind == "text":
        ok = isinstance(value, str)
    elif kind == "boolean":
        ok = isinstance(value, bool)
    elif kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and field_type == "int":
            ok = isinstance(value, int) or float(value).is_integer()
            value = int(value) if ok else value
        elif ok:
            value = float(value)
    elif kind == "datetime":
        ok = isinstance(value, datetime)
        value = _utc_seconds(value) if ok else value
    else:
        ok = isinstance(value, date) and not isinstance(value, datetime)
    if not ok:
        raise TypeError(f"{sobject}.{name} is a {field_type} field, not {value!r}")
    return value
