"""The Salesforce trigger "When a record is created", run by the app's own scheduler and engine
against a local server speaking Salesforce's REST API: one run (one email) per new record."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from smtp_connector.config import Settings
from smtp_connector.runtime import Runtime
from support.api import add_connection, serving
from support.db import ENGINES
from support.salesforce_server import FakeSalesforce
from support.smtp_server import SmtpTestServer
from support.waiting import wait_until
from support.workflows import put, salesforce_workflow

pytestmark = pytest.mark.parametrize("database_url", ENGINES, indirect=True)

USER, PASSWORD = "ada@example.com", "correct horse"
TRIGGER = "When_a_record_is_created"
HISTORIES = f"/v1/workflows/leads/triggers/{TRIGGER}/histories?top=250"


@pytest.fixture
def salesforce() -> Iterator[FakeSalesforce]:
    with FakeSalesforce() as server:
        server.add_user(USER, password=PASSWORD)
        server.add_object(
            "Lead",
            {"Name": "string", "Company": "string", "Email": "email", "LeadSource": "picklist"},
        )
        yield server


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    served: tuple[TestClient, Runtime]
    with serving(settings) as served:
        yield served[0]


def connect(client: TestClient, smtp: SmtpTestServer, salesforce: FakeSalesforce) -> None:
    add_connection(client, smtp)
    connect_salesforce(client, salesforce)


def connect_salesforce(client: TestClient, salesforce: FakeSalesforce) -> None:
    made = client.post(
        "/v1/connections",
        json={
            "type": "salesforce",
            "name": "crm",
            "loginUrl": salesforce.url,
            "clientId": "test-client",
            "clientSecret": "test-secret",
            "username": USER,
            "password": PASSWORD,
        },
    )
    assert made.status_code == 201, made.text


def lead(server: FakeSalesforce, n: int, **fields: Any) -> dict[str, Any]:
    values = {"Name": f"Lead {n}", "Company": f"Company {n}", "Email": f"lead{n}@example.com"}
    return server.add_record("Lead", **{**values, **fields})


def subjects(smtp: SmtpTestServer) -> list[str]:
    return sorted(str(m.message["Subject"]) for m in smtp.messages)


def polls(client: TestClient) -> list[dict[str, Any]]:
    answer = client.get(HISTORIES)
    assert answer.status_code == 200, answer.text
    value: list[dict[str, Any]] = answer.json()["value"]
    return value


def two_more_polls(client: TestClient) -> None:
    """Wait until the trigger has polled twice more (so that a duplicate would have fired)."""
    seen = len(polls(client))
    wait_until(lambda: len(polls(client)) >= seen + 2, timeout=20, what="two more polls")


def runs(client: TestClient) -> list[dict[str, Any]]:
    value: list[dict[str, Any]] = client.get("/v1/workflows/leads/runs?top=250").json()["value"]
    return value


def test_each_lead_created_after_enabling_sends_one_email(
    client: TestClient, smtp_server: SmtpTestServer, salesforce: FakeSalesforce
) -> None:
    connect(client, smtp_server, salesforce)
    for n in range(3):
        lead(salesforce, n)  # before the workflow exists: never fires
    saved = put(client, "leads", salesforce_workflow())
    assert saved.status_code == 201, saved.text

    # Stamps a little ahead of the clock, so that a poll surely falls between two records
    # that share a second.
    second = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    lead(salesforce, 10, created=second)
    lead(salesforce, 11, created=second)  # the same second
    wait_until(lambda: len(smtp_server.messages) >= 2, timeout=20, what="two emails")
    lead(salesforce, 12, created=second)  # written later, in a second already polled
    lead(salesforce, 13, created=second + timedelta(seconds=1))
    wait_until(lambda: len(smtp_server.messages) >= 4, timeout=20, what="four emails")
    two_more_polls(client)

    assert subjects(smtp_server) == [f"New lead: Lead {n} (Company {n})" for n in (10, 11, 12, 13)]
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == [
        f"lead{n}@example.com" for n in (10, 11, 12, 13)
    ]
    assert [r["status"] for r in runs(client)] == ["Succeeded"] * 4
    history = polls(client)
    assert sum(h["records"] for h in history) == 4
    assert all(h["status"] in ("Succeeded", "Skipped") for h in history)
    assert {len(h["runs"]) for h in history if h["fired"]} <= {1, 2}


def test_pages_and_an_expired_token_lose_nothing(
    client: TestClient, smtp_server: SmtpTestServer, salesforce: FakeSalesforce
) -> None:
    salesforce.page_size = 2
    salesforce.token_calls = 3
    connect(client, smtp_server, salesforce)
    put(client, "leads", salesforce_workflow())
    for n in range(7):
        lead(salesforce, n)
    wait_until(lambda: len(smtp_server.messages) >= 7, timeout=30, what="seven emails")
    two_more_polls(client)

    assert len(smtp_server.messages) == 7
    assert salesforce.tokens_issued >= 2  # a token expired on the way and a new one was taken
    assert any("/query/" in r.path for r in salesforce.requests)  # nextRecordsUrl was followed


def test_a_request_limit_is_a_failed_poll_and_the_lead_still_fires_once(
    client: TestClient, smtp_server: SmtpTestServer, salesforce: FakeSalesforce
) -> None:
    connect(client, smtp_server, salesforce)
    put(client, "leads", salesforce_workflow())
    salesforce.limit_exceeded(times=1)
    lead(salesforce, 1)
    wait_until(lambda: smtp_server.messages, timeout=30, what="the email")
    two_more_polls(client)

    assert subjects(smtp_server) == ["New lead: Lead 1 (Company 1)"]
    failed = [h for h in polls(client) if h["status"] == "Failed"]
    assert len(failed) == 1
    assert failed[0]["code"] == "request_limit"
    assert "REQUEST_LIMIT_EXCEEDED" in failed[0]["error"]["message"]
    assert not failed[0]["fired"]


def test_a_filter_with_a_quote_queries_what_it_says_and_nothing_more(
    client: TestClient, smtp_server: SmtpTestServer, salesforce: FakeSalesforce
) -> None:
    connect(client, smtp_server, salesforce)
    queries = {
        "$filter": "Company eq 'O''Brien' and LeadSource eq 'Web'",
        "$select": "Name,Company,Email",
    }
    put(client, "leads", salesforce_workflow(queries=queries))
    lead(salesforce, 1, Company="O'Brien", LeadSource="Web")
    lead(salesforce, 2, Company="O'Brien", LeadSource="Phone")
    lead(salesforce, 3, Company="O", LeadSource="Web")
    lead(salesforce, 4, Company="x' OR Name != null OR Company = 'y", LeadSource="Web")
    wait_until(lambda: smtp_server.messages, timeout=20, what="the email")
    two_more_polls(client)

    assert subjects(smtp_server) == ["New lead: Lead 1 (O'Brien)"]
    asked = [q for q in salesforce.queries if "FROM Lead" in q and "Company" in q]
    assert asked and all("(Company = 'O\\'Brien' AND LeadSource = 'Web')" in q for q in asked)


def test_an_object_or_field_salesforce_does_not_have_is_a_400_when_saved(
    client: TestClient, smtp_server: SmtpTestServer, salesforce: FakeSalesforce
) -> None:
    connect(client, smtp_server, salesforce)
    at = f"/definition/triggers/{TRIGGER}/inputs"
    wrong_object = salesforce_workflow(path="/datasets/default/tables/Leed/onnewitems")
    answer = client.put("/v1/workflows/leads", json=wrong_object)
    assert answer.status_code == 400, answer.text
    assert [e["pointer"] for e in answer.json()["errors"]] == [at + "/path"]
    wrong_field = salesforce_workflow(queries={"$select": "Name,Revenue"})
    answer = client.put("/v1/workflows/leads", json=wrong_field)
    assert answer.status_code == 400, answer.text
    assert "Revenue" in answer.json()["errors"][0]["message"]
    assert client.get("/v1/workflows").json()["value"] == []


def test_the_trigger_can_be_run_by_hand(
    client: TestClient, smtp_server: SmtpTestServer, salesforce: FakeSalesforce
) -> None:
    connect(client, smtp_server, salesforce)
    document = salesforce_workflow()
    document["definition"]["triggers"][TRIGGER]["recurrence"] = {"frequency": "Day", "interval": 1}
    put(client, "leads", document)
    wait_until(lambda: polls(client), timeout=20, what="the first scheduled poll")
    lead(salesforce, 1)

    fired = client.post(f"/v1/workflows/leads/triggers/{TRIGGER}/run")
    assert fired.status_code == 202, fired.text
    assert fired.json()["fired"] is True and len(fired.json()["runs"]) == 1
    wait_until(lambda: smtp_server.messages, timeout=20, what="the email")
    again = client.post(f"/v1/workflows/leads/triggers/{TRIGGER}/run")
    assert again.json() == {"fired": False, "runs": []}
    assert subjects(smtp_server) == ["New lead: Lead 1 (Company 1)"]


def test_a_modified_record_fires_each_time_with_every_field_when_none_is_selected(
    client: TestClient, smtp_server: SmtpTestServer, salesforce: FakeSalesforce
) -> None:
    connect(client, smtp_server, salesforce)
    record = lead(salesforce, 1, LeadSource="Phone")  # created before: a change still fires
    lead(salesforce, 2)  # never changed: never fires
    document = salesforce_workflow(queries={}, path="/datasets/default/tables/Lead/onupdateditems")
    body = document["definition"]["actions"]["Send_an_email_(V3)"]["inputs"]["body"]
    body["Subject"] = "Changed: @{triggerBody()?['Name']} via @{triggerBody()?['LeadSource']}"
    put(client, "leads", document)

    # Stamps ahead of the clock: each change lands in a second of its own.
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    salesforce.update_record("Lead", record["Id"], LeadSource="Web", modified=later)
    wait_until(lambda: smtp_server.messages, timeout=20, what="the first email")
    step = timedelta(seconds=1)
    salesforce.update_record("Lead", record["Id"], LeadSource="Partner", modified=later + step)
    wait_until(lambda: len(smtp_server.messages) >= 2, timeout=20, what="the second email")
    two_more_polls(client)

    assert subjects(smtp_server) == ["Changed: Lead 1 via Partner", "Changed: Lead 1 via Web"]
    asked = [q for q in salesforce.queries if "ORDER BY" in q]
    assert all(q.startswith("SELECT Id, ") and "LastModifiedDate >= " in q for q in asked)
    assert all("Company" in q and "LeadSource" in q for q in asked)  # every field (describe)


def readme_workflow() -> dict[str, Any]:
    """The JSON the README asks a user to paste as ``salesforce-lead.json``."""
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    after = text.split("paste this as `salesforce-lead.json`", 1)[1]
    block = after.split("```json\n", 1)[1].split("```", 1)[0]
    loaded: dict[str, Any] = json.loads(block)
    return loaded


def test_the_readme_walkthrough_works_as_pasted(
    client: TestClient, smtp_server: SmtpTestServer, salesforce: FakeSalesforce
) -> None:
    add_connection(client, smtp_server, name="office")
    connect_salesforce(client, salesforce)
    lead(salesforce, 1, LeadSource="Web")  # before: never fires
    saved = client.put("/v1/workflows/salesforce-lead", json=readme_workflow())
    assert saved.status_code == 201, saved.text
    lead(salesforce, 2, LeadSource="Web")
    lead(salesforce, 3, LeadSource="Phone")  # not what the $filter asks for

    run = "/v1/workflows/salesforce-lead/triggers/When_a_record_is_created/run"
    # By hand: the pasted recurrence polls every three minutes (its first poll, when the
    # workflow was enabled, may have found lead 2 already).
    assert client.post(run).status_code == 202
    wait_until(lambda: smtp_server.messages, timeout=20, what="the email")
    assert client.post(run).json() == {"fired": False, "runs": []}
    [message] = smtp_server.messages
    assert message.message["Subject"] == "New lead: Lead 2 (Company 2)"
    assert message.rcpt_tos == ("sales-team@example.com",)
