"""Faults with real processes and default settings: a PostgreSQL outage under a running
``serve``, a ``serve`` killed while a request with an Idempotency-Key waits, and several
processes migrating one empty database at once."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from smtp_connector.examples import SEED_EXAMPLE
from support.db import ENGINES
from support.processes import Process, clean_env, spawn, start_serve
from support.smtp_server import Faults, SmtpTestServer
from support.waiting import wait_until

ADMIN = "faults-admin-key"
AUTH = {"Authorization": f"Bearer {ADMIN}"}


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return clean_env(
        SMTP_CONNECTOR_DATABASE_URL=database_url,
        SMTP_CONNECTOR_DATA_DIR=str(tmp_path / "data"),
        SMTP_CONNECTOR_SECRET_KEY="faults-secret",
        SMTP_CONNECTOR_ADMIN_API_KEY=ADMIN,
    )


def _connect(api: str, server: SmtpTestServer, **extra: Any) -> None:
    body = {"name": "mail", "server": server.host, "port": server.port, "security": "none"}
    response = httpx.post(f"{api}/v1/connections", json=body | extra, headers=AUTH, timeout=10)
    assert response.status_code == 201, response.text


class Outage:
    """Refuses every connection to one PostgreSQL database, and ends the open ones."""

    def __init__(self, database_url: str) -> None:
        self.name = database_url.rsplit("/", 1)[1]
        admin = database_url.rsplit("/", 1)[0] + "/postgres"
        self.engine = create_engine(
            admin.replace("postgresql://", "postgresql+psycopg://", 1),
            isolation_level="AUTOCOMMIT",
        )

    def begin(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{self.name}" WITH ALLOW_CONNECTIONS false'))
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"),
                {"d": self.name},
            )

    def end(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{self.name}" WITH ALLOW_CONNECTIONS true'))
        self.engine.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_delivery_resumes_after_a_database_outage(
    tmp_path: Path,
    env: dict[str, str],
    database_url: str,
    processes: list[Process],
    smtp_server: SmtpTestServer,
) -> None:
    """F2: PostgreSQL refuses connections for a few seconds under a running ``serve``."""
    api = start_serve(tmp_path, env, "--no-inbox")
    processes.append(api)
    _connect(api.base, smtp_server)
    client = httpx.Client(base_url=api.base, headers=AUTH, timeout=30)
    assert client.post("/v1/connections/mail/send", json=SEED_EXAMPLE).status_code == 200

    outage = Outage(database_url)
    outage.begin()
    try:
        wait_until(lambda: client.get("/readyz").status_code == 503, what="/readyz 503")
        during = client.post("/v1/connections/mail/send", json=SEED_EXAMPLE)
        assert during.status_code == 503, during.text  # nothing stored, and it says so
        assert during.headers["retry-after"]
        time.sleep(3)  # the outage lasts a few seconds: every loop meets it
    finally:
        outage.end()

    wait_until(lambda: client.get("/readyz").status_code == 200, timeout=30, what="ready")
    after = client.post(
        "/v1/connections/mail/send",
        json={**SEED_EXAMPLE, "Subject": "after"},
        headers={"Prefer": "respond-async"},
    )
    assert after.status_code == 202
    smtp_server.wait_for_messages(2, timeout=30)
    assert "worker.claim_failed" in api.output() or "lease.renew_failed" in api.output()
    assert api.terminate() == 0
    assert "Traceback" not in api.output()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_key_whose_first_request_died_is_answered_from_its_message(
    tmp_path: Path, env: dict[str, str], processes: list[Process], smtp_server_factory: Any
) -> None:
    """F10: ``serve`` is killed while a request with an Idempotency-Key waits for its attempt;
    the client's retry gets 202 and the message's Location, not a day of 409."""
    server: SmtpTestServer = smtp_server_factory(faults=Faults(stall_on="DATA_END"))
    api = start_serve(tmp_path, env, "--no-inbox")
    processes.append(api)
    _connect(api.base, server, timeoutSeconds=60)
    headers = {**AUTH, "Idempotency-Key": "order-7"}
    url = f"{api.base}/v1/connections/mail/send"
    first: list[BaseException | httpx.Response] = []

    def call() -> None:
        try:
            first.append(httpx.post(url, json=SEED_EXAMPLE, headers=headers, timeout=30))
        except httpx.HTTPError as exc:
            first.append(exc)

    waiting = threading.Thread(target=call)
    waiting.start()
    wait_until(lambda: "DATA" in server.verbs(), what="the attempt in DATA")
    api.kill9()
    waiting.join(timeout=30)
    assert isinstance(first[0], httpx.HTTPError)  # the client never got an answer

    again = start_serve(tmp_path, env, "--no-inbox", name="serve2")
    processes.append(again)
    repeat = httpx.post(
        f"{again.base}/v1/connections/mail/send", json=SEED_EXAMPLE, headers=headers, timeout=30
    )
    assert repeat.status_code == 202, repeat.text
    assert repeat.headers["idempotent-replayed"] == "true"
    message = httpx.get(f"{again.base}{repeat.headers['location']}", headers=AUTH).json()
    assert message["id"] == repeat.json()["id"]
    assert again.terminate() == 0


@pytest.mark.parametrize("database_url", ENGINES, indirect=True)
def test_processes_that_start_together_on_an_empty_database_all_migrate(
    tmp_path: Path, env: dict[str, str], processes: list[Process], database_url: str
) -> None:
    """F9: three processes upgrade one empty database at once; all succeed."""
    starters = [spawn(["migrate"], tmp_path / f"migrate{i}.log", env, tmp_path) for i in range(3)]
    processes.extend(starters)
    codes = [p.process.wait(timeout=60) for p in starters]
    assert codes == [0, 0, 0], [p.output() for p in starters]
    url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    engine.dispose()
    assert len(versions) == 1
