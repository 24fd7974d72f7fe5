"""Salesforce connections at ``/v1/connections``: secrets write-only and encrypted, one name
space with SMTP connections, and ``test`` against a local server speaking Salesforce's API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from smtp_connector.api.app import create_app
from smtp_connector.config import Settings
from smtp_connector.runtime import Runtime, ensure_admin_key, open_runtime
from smtp_connector.store.salesforce_tables import SalesforceConnectionRow
from support.api import ADMIN_KEY, SEED
from support.salesforce_server import FakeSalesforce
from support.workflows import seed_workflow

USER, PASSWORD, TOKEN = "ada@example.com", "correct horse", "SECTOKEN"
CLIENT_ID, CLIENT_SECRET = "test-client", "test-secret"


@pytest.fixture
def salesforce() -> Iterator[FakeSalesforce]:
    with FakeSalesforce(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as server:
        server.add_user(USER, password=PASSWORD, security_token=TOKEN)
        yield server


def body(server: FakeSalesforce, **changes: Any) -> dict[str, Any]:
    return {
        "type": "salesforce",
        "name": "crm",
        "loginUrl": server.url,
        "clientId": CLIENT_ID,
        "clientSecret": CLIENT_SECRET,
        "username": USER,
        "password": PASSWORD,
        "securityToken": TOKEN,
        **changes,
    }


def test_created_with_secrets_encrypted_and_never_shown(
    client: TestClient, salesforce: FakeSalesforce, runtime: Runtime
) -> None:
    created = client.post("/v1/connections", json=body(salesforce))
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == "/v1/connections/crm"
    shown = created.json()
    assert shown == {
        "type": "salesforce",
        "name": "crm",
        "loginUrl": salesforce.url,
        "grantType": "password",
        "clientId": CLIENT_ID,
        "username": USER,
        "apiVersion": "59.0",
        "timeoutSeconds": 30.0,
        "hasClientSecret": True,
        "hasPassword": True,
        "hasSecurityToken": True,
        "createdAt": shown["createdAt"],
        "updatedAt": shown["updatedAt"],
    }
    assert client.get("/v1/connections/crm").json() == shown
    everything = client.get("/v1/connections").text
    for secret in (PASSWORD, CLIENT_SECRET, TOKEN):
        assert secret not in everything and secret not in created.text
    with runtime.db.reading() as session:
        row = session.scalar(select(SalesforceConnectionRow))
        assert row is not None
        stored = " ".join(
            str(v)
            for v in (
                row.password_encrypted,
                row.client_secret_encrypted,
                row.security_token_encrypted,
            )
        )
    for secret in (PASSWORD, CLIENT_SECRET, TOKEN):
        assert secret not in stored


def test_listed_with_smtp_connections_each_with_its_type(
    client: TestClient, salesforce: FakeSalesforce
) -> None:
    smtp = client.post(
        "/v1/connections", json={"name": "mail", "server": "127.0.0.1", "port": 2525}
    )
    assert smtp.status_code == 201, smtp.text
    assert smtp.json()["type"] == "smtp"
    assert client.post("/v1/connections", json=body(salesforce)).status_code == 201
    listed = client.get("/v1/connections").json()
    assert [(c["name"], c["type"]) for c in listed] == [("crm", "salesforce"), ("mail", "smtp")]


def test_one_name_space_for_every_type(client: TestClient, salesforce: FakeSalesforce) -> None:
    assert client.post("/v1/connections", json=body(salesforce, name="shared")).status_code == 201
    smtp = client.post("/v1/connections", json={"name": "shared", "server": "127.0.0.1"})
    assert smtp.status_code == 409
    again = client.post("/v1/connections", json=body(salesforce, name="shared"))
    assert again.status_code == 409
    assert (
        client.post("/v1/connections", json={"name": "mail", "server": "127.0.0.1"}).status_code
        == 201
    )
    assert client.post("/v1/connections", json=body(salesforce, name="mail")).status_code == 409


def test_test_logs_in_and_says_where_the_org_lives(
    client: TestClient, salesforce: FakeSalesforce
) -> None:
    client.post("/v1/connections", json=body(salesforce))
    answer = client.post("/v1/connections/crm/test")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "ok": True,
        "connection": "crm",
        "type": "salesforce",
        "instanceUrl": salesforce.url,
        "organizationId": salesforce.org_id,
        "userId": answer.json()["userId"],
        "apiVersion": "59.0",
    }
    assert answer.json()["userId"]


def test_client_credentials_log_in_without_a_user(
    client: TestClient, salesforce: FakeSalesforce
) -> None:
    created = client.post(
        "/v1/connections",
        json={
            "type": "salesforce",
            "name": "crm",
            "loginUrl": salesforce.url,
            "grantType": "client_credentials",
            "clientId": CLIENT_ID,
            "clientSecret": CLIENT_SECRET,
        },
    )
    assert created.status_code == 201, created.text
    assert client.post("/v1/connections/crm/test").json()["organizationId"] == salesforce.org_id


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"password": "wrong"}, "securityToken"),
        ({"securityToken": None}, "securityToken"),
        ({"clientSecret": "wrong"}, "clientSecret"),
        ({"clientId": "someone-else"}, "clientId"),
    ],
)
def test_a_refused_login_is_auth_failed_with_what_to_change(
    client: TestClient, salesforce: FakeSalesforce, changes: dict[str, Any], says: str
) -> None:
    client.post("/v1/connections", json=body(salesforce, **changes))
    answer = client.post("/v1/connections/crm/test")
    assert answer.status_code == 502, answer.text
    problem = answer.json()
    assert problem["code"] == "auth_failed"
    assert problem["retryable"] is False
    assert says in problem["hint"]
    assert PASSWORD not in answer.text and CLIENT_SECRET not in answer.text


@pytest.mark.parametrize(
    "instance", ["http://example.com", "https://169.254.169.254", "http://10.0.0.1:8443"]
)
def test_an_instance_url_this_service_may_not_call_is_refused(
    client: TestClient, salesforce: FakeSalesforce, instance: str
) -> None:
    salesforce.instance_url = instance
    client.post("/v1/connections", json=body(salesforce))
    answer = client.post("/v1/connections/crm/test")
    assert answer.status_code == 502, answer.text
    assert answer.json()["code"] == "instance_not_allowed"
    assert instance in answer.json()["detail"]


def test_nothing_listening_is_connect_failed_and_retryable(client: TestClient) -> None:
    with FakeSalesforce() as gone:
        url = gone.url
    client.post(
        "/v1/connections",
        json={
            "type": "salesforce",
            "name": "crm",
            "loginUrl": url,
            "clientId": "x",
            "username": USER,
            "password": PASSWORD,
        },
    )
    answer = client.post("/v1/connections/crm/test")
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == "connect_failed"
    assert answer.headers["Retry-After"]


def test_a_slow_server_is_a_timeout(client: TestClient, salesforce: FakeSalesforce) -> None:
    client.post("/v1/connections", json=body(salesforce, timeoutSeconds=0.5))
    salesforce.delay_login(3.0)
    answer = client.post("/v1/connections/crm/test")
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == "timeout"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"loginUrl": "http://login.salesforce.com"}, "loginUrl"),
        ({"loginUrl": "https://169.254.169.254"}, "loginUrl"),
        ({"clientId": ""}, "clientId"),
        ({"apiVersion": "v59"}, "apiVersion"),
        ({"grantType": "jwt"}, "grantType"),
        ({"password": None}, "body"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_bad_input_is_a_field_level_400_and_stores_nothing(
    client: TestClient, salesforce: FakeSalesforce, changes: dict[str, Any], field: str
) -> None:
    answer = client.post("/v1/connections", json=body(salesforce, **changes))
    assert answer.status_code == 400, answer.text
    assert field in [e["field"] for e in answer.json()["errors"]]
    assert PASSWORD not in answer.text
    assert client.get("/v1/connections").json() == []


def test_the_operators_allow_list_applies_to_the_login_url(
    settings: Settings, salesforce: FakeSalesforce
) -> None:
    narrow = settings.model_copy(update={"allowed_smtp_hosts": "*.salesforce.com"})
    runtime = open_runtime(narrow)
    ensure_admin_key(runtime, narrow)
    try:
        with TestClient(create_app(narrow, runtime=runtime)) as api:
            api.headers["Authorization"] = f"Bearer {ADMIN_KEY}"
            answer = api.post("/v1/connections", json=body(salesforce))
            assert answer.status_code == 403, answer.text
            assert "allow-list" in answer.json()["detail"]
            assert api.get("/v1/connections").json() == []
    finally:
        runtime.db.dispose()


def test_changed_and_deleted(client: TestClient, salesforce: FakeSalesforce) -> None:
    client.post("/v1/connections", json=body(salesforce))
    changed = client.patch(
        "/v1/connections/crm", json={"apiVersion": "60.0", "securityToken": None}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["apiVersion"], changed.json()["hasSecurityToken"]) == ("60.0", False)
    bad = client.patch("/v1/connections/crm", json={"loginUrl": "ftp://x"})
    assert bad.status_code == 400
    assert client.get("/v1/connections/crm").json()["loginUrl"] == salesforce.url
    assert client.delete("/v1/connections/crm").status_code == 204
    assert client.get("/v1/connections/crm").status_code == 404


def test_sending_through_a_salesforce_connection_says_it_needs_an_smtp_one(
    client: TestClient, salesforce: FakeSalesforce
) -> None:
    client.post("/v1/connections", json=body(salesforce))
    answer = client.post("/v1/connections/crm/send", json=SEED)
    assert answer.status_code == 404, answer.text
    assert (
        answer.json()["detail"]
        == "'crm' is a Salesforce connection; this needs an SMTP connection."
    )
    workflow = seed_workflow(connection="crm")
    saved = client.put("/v1/workflows/wrong", json=workflow)
    assert saved.status_code == 400, saved.text
    [problem] = saved.json()["errors"]
    assert problem["message"] == (
        "'crm' is a Salesforce connection; Send Email needs an SMTP connection"
    )
