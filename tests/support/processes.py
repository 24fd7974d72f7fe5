"""The real CLI in subprocesses: start ``serve`` or ``worker``, wait for it, stop it."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx


def cli() -> list[str]:
    exe = shutil.which("smtp-connector", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "smtp_connector"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMTP_CONNECTOR_")}
    env.update(extra)
    return env


@dataclass
class Process:
    process: subprocess.Popen[bytes]
    log: Path
    base: str = ""

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill9(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM and wait; returns 0 for a clean stop (uvicorn re-raises SIGTERM after its
        graceful shutdown, so -15 counts as clean too); kills and fails after ``timeout``."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
                raise AssertionError(f"did not stop in {timeout} s:\n{self.output()}") from None
        code = self.process.returncode
        return 0 if code == -signal.SIGTERM else code


def spawn(args: list[str], log: Path, env: dict[str, str], cwd: Path) -> Process:
    handle = log.open("wb")
    process = subprocess.Popen(
        [*cli(), *args], stdout=handle, stderr=subprocess.STDOUT, env=env, cwd=cwd
    )
    handle.close()
    return Process(process, log)


def start_serve(tmp_path: Path, env: dict[str, str], *args: str, name: str = "serve") -> Process:
    """``serve`` on a free port; returns once /healthz answers (30 s at most)."""
    port = free_port()
    proc = spawn(["serve", "--port", str(port), *args], tmp_path / f"{name}.log", env, tmp_path)
    proc.base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.process.poll() is not None:
            raise AssertionError(f"serve exited early:\n{proc.output()}")
        try:
            if httpx.get(f"{proc.base}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.process.kill()
    raise AssertionError(f"serve did not become healthy in 30 s:\n{proc.output()}")


def start_worker(tmp_path: Path, env: dict[str, str], name: str, *args: str) -> Process:
    proc = spawn(["worker", "--name", name, *args], tmp_path / f"{name}.log", env, tmp_path)
    deadline = time.monotonic() + 30
    while "worker.started" not in proc.output():
        if proc.process.poll() is not None or time.monotonic() > deadline:
            proc.process.kill()
            raise AssertionError(f"worker {name} did not start:\n{proc.output()}")
        time.sleep(0.05)
    return proc
