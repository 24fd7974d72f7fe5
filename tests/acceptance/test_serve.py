"""The real CLI in a subprocess: serve with the local inbox, send the seed email, read it back."""

from __future__ import annotations

import email
import email.policy
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from smtp_connector.examples import SEED_EXAMPLE
from support.processes import Process, clean_env, cli, free_port, start_serve


def _start(tmp_path: Path, env_extra: dict[str, str]) -> Process:
    inbox_port = free_port()
    return start_serve(
        tmp_path,
        clean_env(**env_extra),
        "--inbox-port",
        str(inbox_port),
        "--data-dir",
        str(tmp_path / "data"),
    )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Process]:
    srv = _start(tmp_path, {"SMTP_CONNECTOR_ADMIN_API_KEY": "acceptance-admin-key"})
    yield srv
    assert srv.terminate(timeout=15) == 0


def test_seed_email_arrives_in_the_local_inbox(server: Process) -> None:
    auth = {"Authorization": "Bearer acceptance-admin-key"}
    sent = httpx.post(
        f"{server.base}/v1/connections/local-inbox/send",
        json=SEED_EXAMPLE,
        headers=auth,
        timeout=30,
    )
    assert sent.status_code == 200, sent.text
    result = sent.json()
    assert result["status"] == "sent"
    assert result["accepted"] == ["recipient1@example.com", "recipient2@example.com"]
    assert result["response"].startswith("250")

    inbox = httpx.get(f"{server.base}/v1/inbox", headers=auth, timeout=10).json()["messages"]
    assert len(inbox) == 1
    summary = inbox[0]
    assert summary["subject"] == "New lead created"
    assert summary["rcptTo"] == ["recipient1@example.com", "recipient2@example.com"]
    assert summary["messageId"] == result["messageId"]

    raw = httpx.get(f"{server.base}/v1/inbox/{summary['id']}/raw", headers=auth, timeout=10)
    message = email.message_from_bytes(raw.content, policy=email.policy.default)
    assert message["Importance"] == "High"
    html = message.get_body(preferencelist=("html",))
    assert html is not None and "<b>Jane Doe</b>" in html.get_content()
    text = message.get_body(preferencelist=("plain",))
    assert text is not None and "Jane Doe" in text.get_content()


def test_first_start_prints_an_admin_key_that_works(tmp_path: Path) -> None:
    srv = _start(tmp_path, {})
    try:
        lines = srv.output().splitlines()
        key = next(line.strip() for line in lines if line.strip().startswith("sck_"))
        assert any("curl" in line for line in lines)
        ok = httpx.get(
            f"{srv.base}/v1/connections", headers={"Authorization": f"Bearer {key}"}, timeout=10
        )
        assert ok.status_code == 200
        assert [c["name"] for c in ok.json()] == ["local-inbox"]
    finally:
        srv.terminate(timeout=15)
    # Second start on the same data directory: no new key is printed.
    again = _start(tmp_path, {})
    try:
        assert not any(line.strip().startswith("sck_") for line in again.output().splitlines())
    finally:
        again.terminate(timeout=15)
    assert oct((tmp_path / "data" / "secret.key").stat().st_mode & 0o777) == "0o600"


def test_keys_cli_creates_lists_and_revokes(tmp_path: Path) -> None:
    env = clean_env()
    data = ["--data-dir", str(tmp_path / "data")]
    created = subprocess.run(
        [*cli(), "keys", "create", "--name", "ci", "--scope", "send", *data],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    secret = created.stdout.strip()
    assert secret.startswith("sck_")
    listed = subprocess.run(
        [*cli(), "keys", "list", *data],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    assert "ci" in listed.stdout and "send" in listed.stdout and secret not in listed.stdout
    key_id = listed.stdout.split()[0]
    revoked = subprocess.run(
        [*cli(), "keys", "revoke", key_id, *data],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    assert "revoked" in revoked.stdout
    missing = subprocess.run(
        [*cli(), "keys", "revoke", "key_nope", *data],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert missing.returncode == 2 and "key_nope" in missing.stderr
