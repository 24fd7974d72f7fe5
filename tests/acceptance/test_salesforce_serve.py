"""The seed's walkthrough end to end through the real ``serve``: Salesforce "When a record is
created" (Lead) then SMTP Send Email, pasted in Logic Apps' shape, polled every second, with
the service stopped, restarted, and killed with ``kill -9`` right after a poll and in the middle
of one; on PostgreSQL also with two processes. Exactly one email per new lead, with that
lead's name and company."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.db import ENGINES
from support.processes import Process, clean_env, start_serve
from support.salesforce_server import FakeSalesforce
from support.smtp_server import SmtpTestServer
from support.waiting import wait_until
from support.workflows import salesforce_workflow

ADMIN = "salesforce-admin-key"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
USER, PASSWORD, TOKEN = "ada@example.com", "correct horse", "SECTOKEN"
TRIGGER = "When_a_record_is_created"
RECOVERY_SECONDS = 90  # a killed process's runs wait for their leases (30 s by default)


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return clean_env(
        SMTP_CONNECTOR_DATABASE_URL=database_url,
        SMTP_CONNECTOR_DATA_DIR=str(tmp_path / "data"),
        SMTP_CONNECTOR_SECRET_KEY="salesforce-secret",
        SMTP_CONNECTOR_ADMIN_API_KEY=ADMIN,
    )


@pytest.fixture
def salesforce() -> Iterator[FakeSalesforce]:
    with FakeSalesforce() as server:
        server.add_user(USER, password=PASSWORD, security_token=TOKEN)
        server.add_object("Lead", {"Name": "string", "Company": "string", "Email": "email"})
        yield server


def setup(api: str, smtp: SmtpTestServer, salesforce: FakeSalesforce) -> None:
    """Both connections and the workflow, as a user would make them."""
    for connection in (
        {"name": "mail", "server": smtp.host, "port": smtp.port, "security": "none"},
        {
            "type": "salesforce",
            "name": "crm",
            "loginUrl": salesforce.url,
            "clientId": "test-client",
            "clientSecret": "test-secret",
            "username": USER,
            "password": PASSWORD,
            "securityToken": TOKEN,
        },
    ):
        made = httpx.post(f"{api}/v1/connections", json=connection, headers=AUTH, timeout=10)
        assert made.status_code == 201, made.text
    tested = httpx.post(f"{api}/v1/connections/crm/test", headers=AUTH, timeout=10)
    assert tested.status_code == 200, tested.text
    saved = httpx.put(f"{api}/v1/workflows/leads", json=salesforce_workflow(), headers=AUTH)
    assert saved.status_code == 201, saved.text


def lead(server: FakeSalesforce, n: int, created: datetime | None = None) -> None:
    server.add_record(
        "Lead",
        created=created,
        Name=f"Lead {n}",
        Company=f"Company {n}",
        Email=f"lead{n}@example.com",
    )


def emails(smtp: SmtpTestServer, count: int) -> None:
    wait_until(
        lambda: len(smtp.messages) >= count,
        timeout=RECOVERY_SECONDS,
        every=0.1,
        what=f"{count} emails",
    )


def polls_seen(salesforce: FakeSalesforce) -> int:
    """Poll queries Salesforce has answered (the baseline query is not one: it has no ORDER)."""
    return sum(
        1 for r in salesforce.requests if r.soql and "ORDER BY" in r.soql and r.status == 200
    )


def after_a_poll(salesforce: FakeSalesforce) -> None:
    """Return as soon as Salesforce has answered one more poll."""
    seen = polls_seen(salesforce)
    wait_until(lambda: polls_seen(salesforce) > seen, timeout=20, every=0.005, what="a poll")


def runs(api: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{api}/v1/workflows/leads/runs?top=250", headers=AUTH, timeout=10)
    assert answer.status_code == 200, answer.text
    value: list[dict[str, Any]] = answer.json()["value"]
    return value


def during_a_poll(salesforce: FakeSalesforce) -> None:
    """Return while a poll is in flight: Salesforce holds the next call for five seconds."""
    held = salesforce.delayed_calls
    salesforce.delay_next(5.0)
    wait_until(lambda: salesforce.delayed_calls > held, timeout=20, every=0.005, what="a poll")


def check_exactly_one_each(
    api: str, smtp: SmtpTestServer, salesforce: FakeSalesforce, leads: range
) -> None:
    count = len(leads)
    wait_until(
        lambda: len(runs(api)) == count and all(r["status"] == "Succeeded" for r in runs(api)),
        timeout=RECOVERY_SECONDS,
        every=0.5,
        what=f"{count} Succeeded runs",
    )
    after_a_poll(salesforce)
    after_a_poll(salesforce)  # two more polls: a duplicate would have fired by now
    subjects = sorted(str(m.message["Subject"]) for m in smtp.messages)
    assert subjects == sorted(f"New lead: Lead {n} (Company {n})" for n in leads)
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == sorted(
        f"lead{n}@example.com" for n in leads
    )
    assert [r["status"] for r in runs(api)] == ["Succeeded"] * count


@pytest.mark.parametrize("database_url", ENGINES, indirect=True)
def test_each_new_lead_is_one_email_across_restarts_and_a_kill(
    tmp_path: Path,
    env: dict[str, str],
    processes: list[Process],
    smtp_server: SmtpTestServer,
    salesforce: FakeSalesforce,
) -> None:
    for n in range(3):
        lead(salesforce, n)  # before the workflow is enabled: never an email
    first = start_serve(tmp_path, env, "--no-inbox", name="serve1")
    processes.append(first)
    setup(first.base, smtp_server, salesforce)

    lead(salesforce, 3)
    emails(smtp_server, 1)
    assert first.terminate() == 0

    lead(salesforce, 4)  # while nothing runs
    second = start_serve(tmp_path, env, "--no-inbox", name="serve2")
    processes.append(second)
    emails(smtp_server, 2)
    now = datetime.now(UTC).replace(microsecond=0)
    lead(salesforce, 5, created=now)
    lead(salesforce, 6, created=now)  # two in one second
    emails(smtp_server, 4)

    lead(salesforce, 7)
    after_a_poll(salesforce)
    second.kill9()  # right after the poll: its runs may or may not be committed

    third = start_serve(tmp_path, env, "--no-inbox", name="serve3")
    processes.append(third)
    emails(smtp_server, 5)
    lead(salesforce, 8)
    during_a_poll(salesforce)
    third.kill9()  # between the poll and the commit of its runs

    fourth = start_serve(tmp_path, env, "--no-inbox", name="serve4")
    processes.append(fourth)
    check_exactly_one_each(fourth.base, smtp_server, salesforce, range(3, 9))
    assert fourth.terminate() == 0


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_processes_on_postgresql_send_each_lead_once(
    tmp_path: Path,
    env: dict[str, str],
    processes: list[Process],
    smtp_server: SmtpTestServer,
    salesforce: FakeSalesforce,
) -> None:
    for n in range(3):
        lead(salesforce, n)
    first = start_serve(tmp_path, env, "--no-inbox", name="serve1")
    processes.append(first)
    second = start_serve(tmp_path, env, "--no-inbox", name="serve2")
    processes.append(second)
    setup(first.base, smtp_server, salesforce)

    for n in (3, 4):
        lead(salesforce, n)
        emails(smtp_server, n - 2)
    now = datetime.now(UTC).replace(microsecond=0)
    lead(salesforce, 5, created=now)
    lead(salesforce, 6, created=now)
    emails(smtp_server, 4)
    lead(salesforce, 7)
    during_a_poll(salesforce)
    first.kill9()  # a poll in flight, of one process or the other

    check_exactly_one_each(second.base, smtp_server, salesforce, range(3, 8))
    assert second.terminate() == 0
