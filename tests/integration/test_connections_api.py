"""Connections over HTTP on a real database: CRUD, secrets at rest, bad input, API keys."""

from __future__ import annotations

import base64
import logging
import socket

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from smtp_connector.api.app import create_app
from smtp_connector.config import Settings
from smtp_connector.keys import Scope
from smtp_connector.runtime import Runtime, ensure_admin_key, open_runtime
from smtp_connector.smtp import dial
from smtp_connector.store.models import ApiKeyRow, ConnectionRow, MessageRow
from support.api import ADMIN_KEY
from support.db import ENGINES
from support.smtp_server import SmtpTestServer

pytestmark = pytest.mark.parametrize("database_url", ENGINES, indirect=True)

NASTY_PASSWORD = ("p\r\nä🔐" * 600)[:4096]
OFFICE = {
    "name": "office",
    "server": "smtp.example.com",
    "port": 587,
    "username": "me",
    "password": "hunter2-secret",
}


def _rows(runtime: Runtime) -> int:
    with runtime.db.session() as session:
        return session.scalar(select(func.count()).select_from(ConnectionRow)) or 0


def test_create_read_list_update_delete(client: TestClient, runtime: Runtime) -> None:
    created = client.post("/v1/connections", json=OFFICE)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/v1/connections/office"
    body = created.json()
    assert body["name"] == "office" and body["security"] == "starttls"
    assert body["hasPassword"] is True and "password" not in body
    assert body["verifyCertificate"] is True and body["timeoutSeconds"] == 30

    assert [c["name"] for c in client.get("/v1/connections").json()] == ["office"]
    changed = client.patch("/v1/connections/office", json={"port": 465, "security": "tls"})
    assert changed.status_code == 200
    assert (changed.json()["port"], changed.json()["security"]) == (465, "tls")
    assert client.get("/v1/connections/office").json()["username"] == "me"

    cleared = client.patch("/v1/connections/office", json={"password": None})
    assert cleared.json()["hasPassword"] is False

    assert client.delete("/v1/connections/office").status_code == 204
    missing = client.get("/v1/connections/office")
    assert missing.status_code == 404
    assert "office" in missing.json()["detail"]
    assert missing.headers["content-type"] == "application/problem+json"
    assert _rows(runtime) == 0


def test_password_is_encrypted_at_rest_and_never_echoed(
    client: TestClient, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    payload = {**OFFICE, "password": NASTY_PASSWORD}
    responses = [
        client.post("/v1/connections", json=payload),
        client.get("/v1/connections/office"),
        client.get("/v1/connections"),
        client.patch("/v1/connections/office", json={"password": NASTY_PASSWORD}),
    ]
    assert responses[0].status_code == 201
    forms = [NASTY_PASSWORD, base64.b64encode(NASTY_PASSWORD.encode()).decode()]
    for response in responses:
        for form in forms:
            assert form not in response.text
    for form in forms:
        assert form not in caplog.text
    with runtime.db.session() as session:
        row = session.scalar(select(ConnectionRow))
        assert row is not None and row.password_encrypted
        assert NASTY_PASSWORD not in row.password_encrypted
        assert "p\r\n" not in row.password_encrypted
    connection = runtime.connections.get("office")
    assert runtime.connections.smtp_settings(connection).password == NASTY_PASSWORD
    assert NASTY_PASSWORD not in repr(runtime.connections.smtp_settings(connection))


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"server": "smtp.example.com\r\nRCPT TO:<x@evil.test>"}, "server"),
        ({"server": "169.254.169.254"}, "server"),
        ({"port": 0}, "port"),
        ({"port": 65536}, "port"),
        ({"name": "bad name/../"}, "name"),
        ({"security": "ssl"}, "security"),
        ({"timeoutSeconds": 0}, "timeoutSeconds"),
        ({"defaultFrom": "not an address"}, "defaultFrom"),
        ({"allowedSenders": ["@@nope"]}, "allowedSenders"),
        ({"caBundle": "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----"}, "caBundle"),
        ({"clientHostname": "a\r\nb"}, "clientHostname"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_connection_fields_are_400_and_store_nothing(
    client: TestClient, runtime: Runtime, patch: dict[str, object], field: str
) -> None:
    response = client.post("/v1/connections", json={**OFFICE, **patch})
    assert response.status_code == 400, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["status"] == 400
    assert any(e["field"].startswith(field) for e in problem["errors"]), problem
    assert "hunter2-secret" not in response.text
    assert _rows(runtime) == 0


@pytest.mark.parametrize(
    ("extra", "security"),
    [
        ({"enableSsl": True, "port": 465}, "tls"),
        ({"enableSsl": True}, "starttls"),
        ({"enableSsl": False}, "starttls-optional"),
    ],
)
def test_enable_ssl_is_the_azure_alias(
    client: TestClient, extra: dict[str, object], security: str
) -> None:
    response = client.post("/v1/connections", json={**OFFICE, **extra})
    assert response.status_code == 201, response.text
    assert response.json()["security"] == security


def test_enable_ssl_and_security_together_are_refused(client: TestClient) -> None:
    response = client.post(
        "/v1/connections", json={**OFFICE, "enableSsl": True, "security": "none"}
    )
    assert response.status_code == 400
    assert "enableSsl" in response.json()["errors"][0]["message"]


def test_duplicate_name_is_409(client: TestClient, runtime: Runtime) -> None:
    assert client.post("/v1/connections", json=OFFICE).status_code == 201
    again = client.post("/v1/connections", json=OFFICE)
    assert again.status_code == 409
    assert "office" in again.json()["detail"]
    assert _rows(runtime) == 1


def test_patch_and_delete_unknown_are_404(client: TestClient) -> None:
    assert client.patch("/v1/connections/ghost", json={"port": 25}).status_code == 404
    response = client.delete("/v1/connections/ghost")
    assert response.status_code == 404 and "ghost" in response.json()["detail"]


def test_patch_cannot_null_required_fields(client: TestClient) -> None:
    client.post("/v1/connections", json=OFFICE)
    response = client.patch("/v1/connections/office", json={"server": None})
    assert response.status_code == 400
    assert client.get("/v1/connections/office").json()["server"] == "smtp.example.com"


def test_malformed_and_deep_json_is_400(client: TestClient, runtime: Runtime) -> None:
    broken = client.post(
        "/v1/connections", content=b'{"name": ', headers={"content-type": "application/json"}
    )
    assert broken.status_code == 400
    deep = client.post(
        "/v1/connections",
        content=b"[" * 10000 + b"]" * 10000,
        headers={"content-type": "application/json"},
    )
    assert deep.status_code == 400
    assert _rows(runtime) == 0


def test_no_key_unknown_key_and_revoked_key_are_401(client: TestClient, runtime: Runtime) -> None:
    anonymous = client.get("/v1/connections", headers={"Authorization": ""})
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    unknown = client.get("/v1/connections", headers={"Authorization": "Bearer sck_nope"})
    assert unknown.status_code == 401
    assert 'error="invalid_token"' in unknown.headers["www-authenticate"]

    new = runtime.keys.create("ci", Scope.ADMIN)
    auth = {"Authorization": f"Bearer {new.secret}"}
    assert client.get("/v1/connections", headers=auth).status_code == 200
    runtime.keys.revoke(new.key.id)
    assert client.get("/v1/connections", headers=auth).status_code == 401


def test_send_scope_cannot_manage_connections(client: TestClient, runtime: Runtime) -> None:
    sender = runtime.keys.create("app", Scope.SEND)
    auth = {"Authorization": f"Bearer {sender.secret}"}
    response = client.post("/v1/connections", json=OFFICE, headers=auth)
    assert response.status_code == 403
    assert client.get("/v1/connections", headers=auth).status_code == 403
    assert _rows(runtime) == 0


def test_keys_are_stored_hashed_and_shown_once(client: TestClient, runtime: Runtime) -> None:
    created = client.post("/v1/keys", json={"name": "zapier", "scope": "send"})
    assert created.status_code == 201
    secret = created.json()["key"]
    listing = client.get("/v1/keys")
    assert secret not in listing.text
    assert "zapier" in listing.text
    with runtime.db.session() as session:
        hashes = session.scalars(select(ApiKeyRow.key_hash)).all()
    assert secret not in hashes and all(len(h) == 64 for h in hashes)
    key_id = created.json()["id"]
    assert client.delete(f"/v1/keys/{key_id}").json()["revokedAt"] is not None
    assert client.get("/v1/keys", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_a_different_secret_key_is_a_clear_error_not_a_traceback(
    client: TestClient, settings: Settings
) -> None:
    assert client.post("/v1/connections", json=OFFICE).status_code == 201
    other = settings.model_copy(update={"secret_key": SecretStr("not-the-key-it-was-saved-with")})
    runtime = open_runtime(other)
    with TestClient(create_app(other, runtime=runtime)) as second:
        second.headers["Authorization"] = client.headers["Authorization"]
        response = second.post(
            "/v1/connections/office/send",
            json={"From": "a@example.com", "To": "b@example.com", "Subject": "x", "Body": "y"},
        )
    runtime.db.dispose()
    assert response.status_code == 500
    problem = response.json()
    assert problem["code"] == "configuration_error"
    assert "SECRET_KEY" in problem["detail"]
    assert "Traceback" not in response.text


def test_operator_allow_list_of_smtp_hosts(client: TestClient, settings: Settings) -> None:
    legacy = {**OFFICE, "name": "legacy", "server": "smtp.evil.test"}
    assert client.post("/v1/connections", json=legacy).status_code == 201  # before the list
    strict = settings.model_copy(update={"allowed_smtp_hosts": "*.example.com"})
    runtime = open_runtime(strict)
    ensure_admin_key(runtime, strict)
    with TestClient(create_app(strict, runtime=runtime)) as limited:
        limited.headers["Authorization"] = f"Bearer {ADMIN_KEY}"
        refused = limited.post("/v1/connections", json={**OFFICE, "server": "smtp.evil.test"})
        assert refused.status_code == 403
        assert refused.json()["code"] == "host_not_allowed"
        assert limited.post("/v1/connections", json=OFFICE).status_code == 201
        moved = limited.patch("/v1/connections/office", json={"server": "10.0.0.25"})
        assert moved.status_code == 403
        assert limited.get("/v1/connections/office").json()["server"] == "smtp.example.com"
        sent = limited.post(
            "/v1/connections/legacy/send",
            json={"From": "a@example.com", "To": "b@example.com", "Subject": "x", "Body": "y"},
        )
        assert sent.status_code == 403
        assert limited.post("/v1/connections/legacy/test").status_code == 403
        with runtime.db.session() as session:
            assert session.scalar(select(func.count()).select_from(MessageRow)) == 0
    assert _rows(runtime) == 2
    runtime.db.dispose()


# -- F12: the server field and the addresses it reaches ------------------------------------

BYPASS_FORMS = ["169.254.169.254.", "2852039166", "0xa9.0xfe.0xa9.0xfe", "0251.0376.0251.0376",
                "169.254.43518", "::ffff:169.254.169.254", "[::ffff:a9fe:a9fe]", "[fe80::1]",
                "fd00:ec2::254", "100.100.100.200", "0x646464c8", "1.2.3.256"]  # fmt: skip


@pytest.mark.parametrize("server", BYPASS_FORMS)
def test_every_form_of_a_refused_server_is_a_400_on_server(
    client: TestClient, runtime: Runtime, server: str
) -> None:
    created = client.post("/v1/connections", json={**OFFICE, "server": server})
    assert created.status_code == 400, created.text
    assert [e["field"] for e in created.json()["errors"]] == ["server"]
    assert _rows(runtime) == 0

    assert client.post("/v1/connections", json=OFFICE).status_code == 201
    moved = client.patch("/v1/connections/office", json={"server": server})
    assert moved.status_code == 400, moved.text
    assert [e["field"] for e in moved.json()["errors"]] == ["server"]
    assert client.get("/v1/connections/office").json()["server"] == "smtp.example.com"


@pytest.mark.parametrize(
    "server", ["2130706433", "0x7f.0.0.1", "127.1", "127.0.0.1.", "[127.0.0.1]"]
)
def test_numeric_forms_are_stored_as_the_address_they_connect_to(
    client: TestClient, smtp_server: SmtpTestServer, server: str
) -> None:
    body = {"name": "loop", "server": server, "port": smtp_server.port, "security": "none"}
    created = client.post("/v1/connections", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["server"] == "127.0.0.1"
    tested = client.post("/v1/connections/loop/test")
    assert tested.status_code == 200 and tested.json()["ok"] is True


def test_the_operator_allow_list_cannot_lift_the_refusal(
    client: TestClient, settings: Settings
) -> None:
    """ALLOWED_SMTP_HOSTS only narrows: naming link-local networks in it allows nothing there;
    its address entries match the numeric forms of their addresses."""
    listed = settings.model_copy(
        update={"allowed_smtp_hosts": "169.254.0.0/16, fe80::/10, 127.0.0.0/8, *.example.com"}
    )
    runtime = open_runtime(listed)
    ensure_admin_key(runtime, listed)
    with TestClient(create_app(listed, runtime=runtime)) as operator:
        operator.headers["Authorization"] = f"Bearer {ADMIN_KEY}"
        for server in ("169.254.10.1", "169.254.169.254", "fe80::25"):
            refused = operator.post("/v1/connections", json={**OFFICE, "server": server})
            assert refused.status_code == 400, refused.text
            assert refused.json()["errors"][0]["field"] == "server"
        loop = operator.post("/v1/connections", json={**OFFICE, "server": "2130706433"})
        assert loop.status_code == 201 and loop.json()["server"] == "127.0.0.1"
    runtime.db.dispose()


@pytest.fixture
def metadata_dns(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """``mail.example.test`` resolves to the metadata address (tests cannot add DNS records)."""
    asked: list[str] = []

    async def lookup(host: str, port: int) -> list[dial.AddrInfo]:
        asked.append(host)
        if host != "mail.example.test":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port))]

    monkeypatch.setattr(dial, "lookup", lookup)
    return asked


def test_a_name_resolving_to_a_metadata_address_is_refused_at_connect_time(
    client: TestClient, metadata_dns: list[str]
) -> None:
    body = {**OFFICE, "server": "Mail.Example.Test.", "retryPolicy": {"maxAttempts": 5}}
    created = client.post("/v1/connections", json=body)
    assert created.status_code == 201  # a name: where it resolves to is checked when used
    assert created.json()["server"] == "mail.example.test"

    tested = client.post("/v1/connections/office/test")
    assert tested.status_code == 403, tested.text
    problem = tested.json()
    assert problem["code"] == "address_not_allowed"
    assert problem["retryable"] is False
    assert "169.254.169.254" in problem["detail"] and "metadata" in problem["hint"]

    sent = client.post(
        "/v1/connections/office/send",
        json={"From": "a@example.com", "To": "b@example.com", "Subject": "x", "Body": "y"},
    )
    assert sent.status_code == 403, sent.text
    assert sent.json()["code"] == "address_not_allowed"
    message = client.get(f"/v1/messages/{sent.json()['id']}").json()
    assert message["status"] == "failed"  # permanent: not retried, despite maxAttempts 5
    assert message["attemptCount"] == 1
    assert message["lastError"]["code"] == "address_not_allowed"
    assert metadata_dns == ["mail.example.test", "mail.example.test"]
