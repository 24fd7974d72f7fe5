"""The API against its own OpenAPI document, with schemathesis: every answer of every operation.

One app per database engine takes every operation's generated requests, sent with the admin
key, like a server under fuzzing: a connection ``mail`` to a real local inbox over SMTP (with a
message sent and captured), a connection ``spare`` for PATCH and DELETE to change, and a second
API key to revoke. About half of the cases (chosen from the generated values, so that a replay is
the same case) use these names and ids, so that the success answers are reached too. Every
answer must not be a 5xx, and must have a documented status, content type, headers and body.
"""

from __future__ import annotations

import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from smtp_connector.api.app import create_app
from smtp_connector.config import Settings
from smtp_connector.inbox import Inbox
from smtp_connector.runtime import ensure_admin_key, open_runtime
from support.api import ADMIN_KEY, SEED
from support.db import ENGINES, fresh_database

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}


def served_document() -> dict[str, Any]:
    """``GET /openapi.json`` of an app on a throwaway database (read once, at collection)."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Settings(data_dir=Path(tmp), inbox=False)
        runtime = open_runtime(config)
        try:
            with TestClient(create_app(config, runtime=runtime)) as client:
                document: dict[str, Any] = client.get("/openapi.json").json()
        finally:
            runtime.db.dispose()
    return document


schema = schemathesis.openapi.from_dict(served_document())
# Boundary values of valid inputs; invalid ones are left to the (bounded) fuzzing phase.
schema.config.phases.coverage.generation.update(modes=[schemathesis.GenerationMode.POSITIVE])


@dataclass
class World:
    """The app under test and the names and ids that exist in it."""

    client: TestClient
    inbox: Inbox
    known: dict[str, object]

    def captured_id(self) -> int:
        """The id of a message in the inbox (one is sent when ``DELETE /v1/inbox`` emptied it)."""
        if not self.inbox.messages():
            sent = self.client.post("/v1/connections/mail/send", json=SEED)
            assert sent.status_code == 200, sent.text
        return self.inbox.messages()[-1].id


@pytest.fixture(scope="module", params=ENGINES)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("contract")
    inbox = Inbox(port=0)
    inbox.start()
    try:
        with fresh_database(request.param, tmp) as url:
            config = Settings(
                data_dir=tmp / "data", database_url=url, admin_api_key=ADMIN_KEY, inbox=False
            )
            runtime = open_runtime(config)
            ensure_admin_key(runtime, config)
            try:
                with TestClient(create_app(config, runtime=runtime, inbox=inbox)) as client:
                    client.headers.update(AUTH)
                    yield World(client, inbox, _populate(client, inbox))
            finally:
                runtime.db.dispose()
    finally:
        inbox.stop()


def _populate(client: TestClient, inbox: Inbox) -> dict[str, object]:
    target = {"server": inbox.host, "port": inbox.port, "security": "none"}
    for name in ("mail", "spare"):
        created = client.post("/v1/connections", json={"name": name, **target})
        assert created.status_code == 201, created.text
    sent = client.post("/v1/connections/mail/send", json=SEED)
    assert sent.status_code == 200, sent.text
    key = client.post("/v1/keys", json={"name": "other", "scope": "send"}).json()
    return {"name": "mail", "message_id": sent.json()["id"], "key_id": key["id"]}


def _use_known(case: schemathesis.Case, world: World) -> None:
    """Put names and ids that exist in about half of the cases (the same half on a replay)."""
    parameters = case.path_parameters
    if not parameters or zlib.crc32(repr(parameters).encode()) % 2:
        return
    for name in list(parameters):
        if case.path.startswith("/v1/inbox"):
            parameters[name] = world.captured_id()
        elif case.path == "/v1/connections/{name}" and case.method in ("PATCH", "DELETE"):
            parameters[name] = "spare"  # "mail" stays usable for sending
        elif name in world.known:
            parameters[name] = world.known[name]


def _call(client: TestClient, case: schemathesis.Case) -> httpx.Response:
    """Send the case through the app's own test client (requests-style arguments → httpx)."""
    kwargs = case.as_transport_kwargs(base_url=str(client.base_url), headers=AUTH)
    kwargs.pop("cookies", None)
    data = kwargs.pop("data", None)
    if data is not None:
        kwargs["content"] = data.encode() if isinstance(data, str) else data
    return client.request(**kwargs)


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_conforms_to_the_document(case: schemathesis.Case, world: World) -> None:
    _use_known(case, world)
    response = _call(world.client, case)
    case.validate_response(response, checks=CHECKS)
