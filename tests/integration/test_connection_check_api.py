"""``POST /v1/connections/{name}/test``: capabilities, or a stable code with advice."""

from __future__ import annotations

from fastapi.testclient import TestClient

from support.api import PASSWORD, USER, ServerFactory, add_connection
from support.smtp_server import Faults, NotSmtpServer, SmtpTestServer


def test_reports_capabilities_after_tls_and_auth(
    client: TestClient, smtp_server_factory: ServerFactory
) -> None:
    server = smtp_server_factory(
        mode="starttls", users={USER: PASSWORD}, dsn=True, smtputf8=True, size_limit=10_000_000
    )
    add_connection(client, server)
    response = client.post("/v1/connections/mail/test")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is True and body["tls"] is True and body["authenticated"] is True
    caps = body["capabilities"]
    assert caps["starttls"] is True
    assert set(caps["auth"]) >= {"PLAIN", "LOGIN"}
    assert caps["size"] == 10_000_000
    assert (caps["dsn"], caps["smtputf8"], caps["pipelining"], caps["8bitmime"]) == (
        True,
        True,
        True,
        True,
    )
    assert server.messages == []
    assert server.sessions[0].authenticated_as == USER


def test_tls_against_a_plain_port_says_use_starttls(
    client: TestClient, smtp_server: SmtpTestServer
) -> None:
    add_connection(client, smtp_server, security="tls")
    response = client.post("/v1/connections/mail/test")
    assert response.status_code == 502
    problem = response.json()
    assert problem["code"] == "tls_failed"
    assert "security=starttls" in problem["hint"]


def test_starttls_against_an_implicit_tls_port_says_use_tls(
    client: TestClient, smtp_server_factory: ServerFactory
) -> None:
    server = smtp_server_factory(mode="tls")
    add_connection(client, server, security="starttls", timeoutSeconds=0.5)
    response = client.post("/v1/connections/mail/test")
    assert response.status_code == 503
    problem = response.json()
    assert problem["code"] == "timeout"
    assert "security=tls" in problem["hint"]


def test_not_an_smtp_server_is_named_without_echoing_it(
    client: TestClient, not_smtp_server: NotSmtpServer
) -> None:
    host, port = not_smtp_server.address
    client.post(
        "/v1/connections",
        json={"name": "web", "server": host, "port": port, "security": "none", "timeoutSeconds": 2},
    )
    response = client.post("/v1/connections/web/test")
    assert response.status_code == 502
    problem = response.json()
    assert problem["code"] == "not_smtp"
    assert "HTTP/1.1" not in response.text and "Bad Request" not in response.text


def test_wrong_password_is_auth_failed(
    client: TestClient, smtp_server_factory: ServerFactory
) -> None:
    server = smtp_server_factory(
        mode="starttls",
        users={USER: PASSWORD},
        faults=Faults(auth_reply="535 5.7.8 Bad credentials"),
    )
    add_connection(client, server)
    problem = client.post("/v1/connections/mail/test").json()
    assert (problem["code"], problem["smtpCode"], problem["retryable"]) == (
        "auth_failed",
        535,
        False,
    )
    assert PASSWORD not in str(problem)


def test_nothing_listening_is_connect_failed(client: TestClient, closed_port: int) -> None:
    client.post(
        "/v1/connections",
        json={"name": "mail", "server": "127.0.0.1", "port": closed_port, "security": "none"},
    )
    response = client.post("/v1/connections/mail/test")
    assert response.status_code == 503
    assert response.json()["code"] == "connect_failed"


def test_unknown_connection_is_404(client: TestClient) -> None:
    response = client.post("/v1/connections/ghost/test")
    assert response.status_code == 404 and "ghost" in response.json()["detail"]
