"""A key revoked with the CLI while ``serve`` runs on the same data directory stops working
within ``CACHE_SECONDS`` (5 by default): the server keeps keys it has read for that long."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx

from smtp_connector.config import Settings
from support.processes import Process, clean_env, cli, free_port, start_serve
from support.waiting import wait_until

MARGIN_SECONDS = 5.0
"""Added to CACHE_SECONDS when polling (a slow machine's slack)."""


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*cli(), *args], capture_output=True, text=True, env=env, timeout=60, check=True
    )


def test_a_key_revoked_with_the_cli_is_refused_by_a_running_server(
    tmp_path: Path, processes: list[Process]
) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    env = clean_env(SMTP_CONNECTOR_ADMIN_API_KEY="acceptance-admin-key")
    server = start_serve(tmp_path, env, "--inbox-port", str(free_port()), *data)
    processes.append(server)
    secret = _cli("keys", "create", "--name", "app", "--scope", "send", *data, env=env).stdout
    auth = {"Authorization": f"Bearer {secret.strip()}"}
    inbox = f"{server.base}/v1/inbox"
    assert httpx.get(inbox, headers=auth, timeout=10).status_code == 200

    key_id = next(
        line.split()[0]
        for line in _cli("keys", "list", *data, env=env).stdout.splitlines()
        if line.endswith("\tapp")
    )
    _cli("keys", "revoke", key_id, *data, env=env)
    wait_until(
        lambda: httpx.get(inbox, headers=auth, timeout=10).status_code == 401,
        timeout=Settings.model_fields["cache_seconds"].default + MARGIN_SECONDS,
        every=0.1,
        what="the revoked key refused",
    )
    assert server.terminate(timeout=15) == 0
