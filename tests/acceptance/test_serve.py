"""The real CLI in a subprocess: serve with the local inbox, send the seed email, read it back."""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from smtp_connector.cli import SEED_EXAMPLE


def _cli() -> list[str]:
    exe = shutil.which("smtp-connector", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "smtp_connector"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    process: subprocess.Popen[str]
    base: str
    log: Path

    def output(self) -> str:
        return self.log.read_text()


def _start(tmp_path: Path, env_extra: dict[str, str]) -> Server:
    port, inbox_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMTP_CONNECTOR_")}
    env.update(env_extra)
    log = tmp_path / "serve.log"
    process = subprocess.Popen(
        [
            *_cli(),
            "serve",
            "--port",
            str(port),
            "--inbox-port",
            str(inbox_port),
            "--data-dir",
            str(tmp_path / "data"),
        ],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return Server(process, base, log)
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    raise AssertionError(f"serve did not become healthy in 30 s:\n{log.read_text()}")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = _start(tmp_path, {"SMTP_CONNECTOR_ADMIN_API_KEY": "acceptance-admin-key"})
    yield srv
    srv.process.send_signal(signal.SIGTERM)
    try:
        srv.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        srv.process.kill()
        raise


def test_seed_email_arrives_in_the_local_inbox(server: Server) -> None:
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
        srv.process.send_signal(signal.SIGTERM)
        srv.process.wait(timeout=15)
    # Second start on the same data directory: no new key is printed.
    again = _start(tmp_path, {})
    try:
        assert not any(line.strip().startswith("sck_") for line in again.output().splitlines())
    finally:
        again.process.send_signal(signal.SIGTERM)
        again.process.wait(timeout=15)
    assert oct((tmp_path / "data" / "secret.key").stat().st_mode & 0o777) == "0o600"


def test_keys_cli_creates_lists_and_revokes(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMTP_CONNECTOR_")}
    data = ["--data-dir", str(tmp_path / "data")]
    created = subprocess.run(
        [*_cli(), "keys", "create", "--name", "ci", "--scope", "send", *data],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    secret = created.stdout.strip()
    assert secret.startswith("sck_")
    listed = subprocess.run(
        [*_cli(), "keys", "list", *data],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    assert "ci" in listed.stdout and "send" in listed.stdout and secret not in listed.stdout
    key_id = listed.stdout.split()[0]
    revoked = subprocess.run(
        [*_cli(), "keys", "revoke", key_id, *data],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    assert "revoked" in revoked.stdout
    missing = subprocess.run(
        [*_cli(), "keys", "revoke", "key_nope", *data],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert missing.returncode == 2 and "key_nope" in missing.stderr
