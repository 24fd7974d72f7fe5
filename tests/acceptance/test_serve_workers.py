"""``serve --workers 2``: two processes serve the API on one port, each with its own delivery
worker, sharing only the outbox; every accepted message arrives exactly once."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from support.aiosmtpd_server import AiosmtpdServer
from support.processes import Process, clean_env, start_serve
from support.waiting import wait_until

KEY = "acceptance-admin-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
MESSAGES = 30


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def test_two_processes_deliver_every_message_once(tmp_path: Path, processes: list[Process]) -> None:
    env = clean_env(SMTP_CONNECTOR_ADMIN_API_KEY=KEY)
    data = ["--data-dir", str(tmp_path / "data")]
    with AiosmtpdServer() as smtp:
        server = start_serve(tmp_path, env, "--workers", "2", "--no-inbox", *data)
        processes.append(server)
        wait_until(
            lambda: len(children(server.process.pid)) >= 2,
            timeout=30,
            every=0.1,
            what="two serving processes",
        )
        connection = {"name": "smtp", "server": "127.0.0.1", "port": smtp.port}
        created = httpx.post(
            f"{server.base}/v1/connections",
            json=connection | {"security": "none"},
            headers=AUTH,
            timeout=30,
        )
        assert created.status_code == 201, created.text
        with httpx.Client(base_url=server.base, headers=AUTH, timeout=30) as client:
            for n in range(MESSAGES):
                sent = client.post(
                    "/v1/connections/smtp/send",
                    json={"To": "bob@example.com", "Subject": f"n{n}", "Body": "hi"}
                    | {"From": "alice@example.com"},
                    headers={"Prefer": "respond-async"},
                )
                assert sent.status_code == 202, sent.text
        wait_until(
            lambda: len(smtp.messages) >= MESSAGES, timeout=60, every=0.1, what="every message"
        )
        assert server.terminate(timeout=30) == 0

    subjects = sorted(m.message["Subject"] for m in smtp.messages)
    assert subjects == sorted(f"n{n}" for n in range(MESSAGES))


def test_several_processes_refuse_the_inbox(tmp_path: Path, processes: list[Process]) -> None:
    env = clean_env(SMTP_CONNECTOR_ADMIN_API_KEY=KEY)
    with pytest.raises(AssertionError, match="--no-inbox"):
        processes.append(start_serve(tmp_path, env, "--workers", "2", "--data-dir", str(tmp_path)))
