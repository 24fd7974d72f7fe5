"""Helpers for API tests that send through the in-process SMTP server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient

from smtp_connector.api.app import create_app
from smtp_connector.config import Settings
from smtp_connector.examples import SEED_EXAMPLE
from smtp_connector.runtime import Runtime, ensure_admin_key, open_runtime
from support.smtp_server import SmtpTestServer

ServerFactory = Callable[..., SmtpTestServer]

ADMIN_KEY = "test-admin-key-0123456789"
USER, PASSWORD = "alice", "s3cret-Pa55"
NO_RETRY = {"maxAttempts": 1}  # a transient failure then fails at once: 503, not 202

SEED = SEED_EXAMPLE  # the payload `serve` prints in its curl example (and the README shows)


def add_connection(
    client: TestClient, server: SmtpTestServer, name: str = "mail", **extra: Any
) -> dict[str, Any]:
    """Register a connection pointing at ``server`` with the matching security and CA."""
    security = {"plain": "none", "starttls": "starttls", "tls": "tls"}[server.mode]
    body: dict[str, Any] = {
        "name": name,
        "server": server.host,
        "port": server.port,
        "security": security,
        "timeoutSeconds": 5,
    }
    if server.mode != "plain":
        body["caBundle"] = server.ca_pem
    if server.users:
        body["username"], body["password"] = next(iter(server.users.items()))
    body.update(extra)
    response = client.post("/v1/connections", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def send(client: TestClient, payload: object, connection: str = "mail") -> Any:
    return client.post(f"/v1/connections/{connection}/send", json=payload)


@contextmanager
def serving(settings: Settings, *, worker: bool = True) -> Iterator[tuple[TestClient, Runtime]]:
    """The app as ``serve`` builds it (with its delivery worker unless ``worker=False``), an
    admin-authenticated client of it, and its runtime; everything closed afterwards."""
    runtime = open_runtime(settings)
    ensure_admin_key(runtime, settings)
    with TestClient(create_app(settings, runtime=runtime, worker=worker)) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_KEY}"
        yield client, runtime
    runtime.db.dispose()
