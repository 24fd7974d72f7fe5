"""``smtp-connector workflows`` in subprocesses, beside a running ``serve`` on the same data
directory and key: save definition files (code view and ARM export), list them, fire a trigger
that ``serve`` then executes, list the runs; a broken file exits 2 naming the place."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import httpx

from support.processes import Process, clean_env, cli, start_serve
from support.smtp_server import SmtpTestServer
from support.waiting import wait_until
from support.workflow_samples import arm_resource, code_view
from support.workflows import FINISHED

ADMIN = "cli-admin-key"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
SEND = "Send_an_email_(V3)"


def _env(tmp_path: Path) -> dict[str, str]:
    return clean_env(
        SMTP_CONNECTOR_DATA_DIR=str(tmp_path / "data"),
        SMTP_CONNECTOR_SECRET_KEY="cli-secret",
        SMTP_CONNECTOR_ADMIN_API_KEY=ADMIN,
    )


def _workflows(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*cli(), "workflows", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _report(version: str) -> dict[str, Any]:
    """A Request trigger and a Send Email whose subject names the version and the run."""
    actions = {
        SEND: {
            "type": "ApiConnection",
            "inputs": {
                "host": {
                    "connection": {"name": "@parameters('$connections')['smtp']['connectionId']"}
                },
                "method": "post",
                "path": "/SendEmailV3",
                "body": {
                    "From": "reports@example.com",
                    "To": "boss@example.com",
                    "Subject": f"Report {version} @{{workflow()?['run']?['name']}}",
                    "Body": "<p>Fired by hand.</p>",
                },
            },
            "runAfter": {},
        }
    }
    triggers = {"manual": {"type": "Request", "kind": "Http", "inputs": {"schema": {}}}}
    return code_view(triggers, actions, {"smtp": "mail"})


def _write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def test_put_list_run_and_runs_beside_serve(
    tmp_path: Path, processes: list[Process], smtp_server: SmtpTestServer
) -> None:
    env = _env(tmp_path)
    serve = start_serve(tmp_path, env, "--no-inbox")
    processes.append(serve)
    connection = {"name": "mail", "server": smtp_server.host, "port": smtp_server.port}
    made = httpx.post(
        f"{serve.base}/v1/connections", json={**connection, "security": "none"}, headers=AUTH
    )
    assert made.status_code == 201, made.text
    files = tmp_path / "definitions"
    files.mkdir()

    created = _workflows(env, files, "put", str(_write(files / "report.json", _report("v1"))))
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "created report (version 1, Enabled)"
    arm = _write(files / "exported.json", arm_resource("report", _report("v2")))
    replaced = _workflows(env, files, "put", str(arm), "--name", "report")
    assert replaced.returncode == 0, replaced.stderr
    assert replaced.stdout.strip() == "replaced report (version 2, Enabled)"
    saved = httpx.get(f"{serve.base}/v1/workflows/report", headers=AUTH).json()
    assert saved["version"] == 2
    assert (saved["location"], saved["tags"]) == ("westeurope", {"team": "sales"})  # kept
    assert saved["definition"]["$schema"].endswith("workflowdefinition.json#")

    listed = _workflows(env, files, "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == ["report\tEnabled\tv2\tmanual"]

    fired = _workflows(env, files, "run", "report", "manual")
    assert fired.returncode == 0, fired.stderr
    [run_id] = fired.stdout.split()
    [email] = wait_until(lambda: smtp_server.messages, timeout=20, what="the run's email")
    assert str(email.message["Subject"]) == f"Report v2 {run_id}"  # the saved version ran
    assert email.rcpt_tos == ("boss@example.com",)

    def finished() -> dict[str, Any] | None:
        run: dict[str, Any] = httpx.get(
            f"{serve.base}/v1/workflows/report/runs/{run_id}", headers=AUTH
        ).json()
        return run if run["status"] in FINISHED else None

    run = wait_until(finished, timeout=20, what="the run finishing")
    assert (run["status"], run["workflow"]["version"]) == ("Succeeded", 2)
    runs = _workflows(env, files, "runs", "report")
    assert runs.returncode == 0, runs.stderr
    [line] = runs.stdout.splitlines()
    assert line.split("\t")[:2] == [run_id, "Succeeded"]
    assert serve.terminate() == 0


def test_a_broken_file_exits_2_naming_the_place(tmp_path: Path) -> None:
    env = _env(tmp_path)
    actions = {
        "Compose_greeting": {
            "type": "Compose",
            "inputs": {"text": "@{concat('Hello ', triggerBody()?['name'] }"},
            "runAfter": {},
        }
    }
    triggers = {"manual": {"type": "Request", "kind": "Http"}}
    broken = _write(tmp_path / "greeting.json", code_view(triggers, actions))

    failed = _workflows(env, tmp_path, "put", str(broken))

    assert failed.returncode == 2, failed.stdout + failed.stderr
    assert "/definition/actions/Compose_greeting/inputs/text" in failed.stderr
    assert re.search(r"\(column \d+\)", failed.stderr), failed.stderr
    assert failed.stdout == ""

    not_json = tmp_path / "truncated.json"
    not_json.write_text(broken.read_text(encoding="utf-8")[:40], encoding="utf-8")
    unreadable = _workflows(env, tmp_path, "put", str(not_json))
    assert unreadable.returncode == 2
    assert f"cannot read {not_json}" in unreadable.stderr

    listed = _workflows(env, tmp_path, "list")
    assert (listed.returncode, listed.stdout) == (0, "")  # nothing was saved
