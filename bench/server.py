"""The real ``smtp-connector serve`` in a subprocess, on a free port, with a fresh database.

Only the command line and the public HTTP API are used, so the benchmark keeps working while the
internals change. Every process started here is stopped by its pid, and every scratch database
dropped, in ``finally`` blocks.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from sink import free_port

START_SECONDS = 60
STOP_SECONDS = 30


@dataclass(frozen=True)
class Serve:
    """A running ``serve``: its base URL, an admin key, the file holding its output, its pid."""

    base: str
    key: str
    log: Path
    pid: int = 0

    def request(self, method: str, path: str, body: object = None) -> tuple[int, Any]:
        """One JSON request with the admin key; returns (status, decoded body or None)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.base}{path}", data=data, method=method)  # noqa: S310
        req.add_header("Authorization", f"Bearer {self.key}")
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310
                raw = resp.read()
                status = resp.status
        except urllib.error.HTTPError as exc:
            raw, status = exc.read(), exc.code
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")

    def outbox_sent(self) -> int | None:
        """The outbox's count of ``sent`` messages from ``/metrics`` (None if it is not there)."""
        try:
            with urllib.request.urlopen(f"{self.base}/metrics", timeout=30) as resp:  # noqa: S310
                text = resp.read().decode()
        except OSError:
            return None
        for line in text.splitlines():
            if line.startswith('smtp_connector_queue_messages{status="sent"}'):
                return int(float(line.rsplit(" ", 1)[1]))
        return None


def connect_sink(serve: Serve, port: int, extra: str = "{}") -> None:
    """Create the connection ``sink`` to the sink on ``port`` (``extra``: more fields, JSON).
    Raises SystemExit if it is refused."""
    connection = {"name": "sink", "server": "127.0.0.1", "port": port, "security": "none"}
    status, answer = serve.request("POST", "/v1/connections", connection | json.loads(extra))
    if status != 201:
        raise SystemExit(f"creating the connection: {status} {answer}")


def cli() -> list[str]:
    """The ``smtp-connector`` command of this Python environment."""
    exe = shutil.which("smtp-connector", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "smtp_connector"]


@contextmanager
def scratch_postgres(admin_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of ``admin_url``; dropped on exit.

    ``admin_url`` is any database there that may CREATE DATABASE. Yields the new one's URL.
    """
    name = "bench_" + secrets.token_hex(6)
    url = make_url(admin_url)
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as admin:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            admin.execute(drop.format(sql.Identifier(name)))


def _environment(database_url: str | None, env: Mapping[str, str] | None) -> dict[str, str]:
    """This process's environment without its ``SMTP_CONNECTOR_*`` settings, plus ``env``."""
    settings = {k: v for k, v in os.environ.items() if not k.startswith("SMTP_CONNECTOR_")}
    if database_url:  # in the environment, not the command line: it may hold a password
        settings["SMTP_CONNECTOR_DATABASE_URL"] = database_url
    settings.update(env or {})
    return settings


@contextmanager
def engine_database(engine: str, admin_url: str | None) -> Iterator[str | None]:
    """The database URL for ``serve`` on ``engine``: None for SQLite (in its data directory),
    or a scratch PostgreSQL database on the server of ``admin_url``, dropped on exit."""
    if engine == "sqlite":
        yield None
        return
    if engine != "postgresql" or not admin_url:
        raise SystemExit(f"engine {engine!r}: expected sqlite, or postgresql with --database-url")
    with scratch_postgres(admin_url) as url:
        yield url


def setting(pair: str) -> tuple[str, str]:
    """A ``--env SMTP_CONNECTOR_NAME=VALUE`` option as (name, value)."""
    name, equals, value = pair.partition("=")
    if not equals or not name.startswith("SMTP_CONNECTOR_"):
        raise argparse.ArgumentTypeError("expected SMTP_CONNECTOR_NAME=VALUE")
    return name, value


@contextmanager
def running_serve(
    workdir: Path,
    database_url: str | None = None,
    env: Mapping[str, str] | None = None,
    *,
    worker: bool = True,
    options: Sequence[str] = (),
    command: Sequence[str] = (),
) -> Iterator[Serve]:
    """``serve --no-inbox`` on a free port with its data in ``workdir``; stopped on exit.

    ``database_url``: None for SQLite in ``workdir``. ``env`` adds ``SMTP_CONNECTOR_*``
    settings (the caller's own are not inherited). ``worker=False`` runs the API alone
    (``--no-worker``); ``options`` are more ``serve`` options; ``command`` replaces the
    ``smtp-connector`` command (``counted_serve.py``). Raises SystemExit with the end of its
    output if it does not answer /healthz in time.
    """
    port, key = free_port(), "sck_bench_" + secrets.token_hex(16)
    settings = _environment(database_url, env)
    settings["SMTP_CONNECTOR_ADMIN_API_KEY"] = key
    args = [
        *(command or cli()),
        "serve",
        "--no-inbox",
        "--port",
        str(port),
        "--data-dir",
        str(workdir),
    ]
    args += [*([] if worker else ["--no-worker"]), *options]
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=settings)
    try:
        serve = Serve(f"http://127.0.0.1:{port}", key, log, process.pid)
        _wait_healthy(serve, process)
        yield serve
    finally:
        _stop(process)


@contextmanager
def running_worker(
    workdir: Path,
    database_url: str | None = None,
    env: Mapping[str, str] | None = None,
    *,
    options: Sequence[str] = (),
    log_name: str = "worker.log",
) -> Iterator[subprocess.Popen[bytes]]:
    """``smtp-connector worker`` on the data (and database) of a ``serve`` in ``workdir``.

    Yields the process at once (it starts delivering as soon as it has started); on exit it is
    sent SIGTERM (it drains), then killed after STOP_SECONDS. Its output goes to ``log_name``
    in ``workdir``.
    """
    args = [*cli(), "worker", "--data-dir", str(workdir), *options]
    with (workdir / log_name).open("wb") as out:
        process = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, env=_environment(database_url, env)
        )
    try:
        yield process
    finally:
        _stop(process)


def _wait_healthy(serve: Serve, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{serve.base}/healthz", timeout=1) as resp:  # noqa: S310
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    tail = serve.log.read_text(errors="replace")[-3000:]
    raise SystemExit(f"serve did not start (exit code {process.poll()}):\n{tail}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (serve drains), then SIGKILL after STOP_SECONDS."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait(timeout=10)
