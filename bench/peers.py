"""The peers every figure is compared with, measured in the same run into the same sink.

- naive: ``smtplib`` + ``EmailMessage``, composing each message, a new connection per message,
  one after another (``naive.py``);
- aiosmtplib: 16 concurrent connections, each kept open, sending the same prebuilt bytes
  (``EmailMessage``'s, composed once);
- Nodemailer: its pool of 5 connections composing each message (``node/nodemailer_pool.js``,
  after ``npm ci`` in ``bench/node``), skipped with a reason when Node or the package is missing.

Each peer first sends a warm-up (untimed, as our cases get one), then times itself from its first
command to the server's reply to its last message; the sink must then have received every
message (else the result says how many it has).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import aiosmtplib

from message import CONTENT, peer_message
from naive import RECIPIENT, SENDER, run_smtplib, stdlib_email
from sink import Sink

NODE_DIR = Path(__file__).resolve().parent / "node"
AIOSMTPLIB_CONNECTIONS = 16
NODEMAILER_CONNECTIONS = 5
NAMES = {
    "naive": "smtplib + EmailMessage, new connection per message (naive)",
    "aiosmtplib": f"aiosmtplib, {AIOSMTPLIB_CONNECTIONS} connections, prebuilt bytes",
    "nodemailer": f"Nodemailer pool of {NODEMAILER_CONNECTIONS}, composing each",
}
SHORT = {"naive": "naive", "aiosmtplib": "aiosmtplib-16", "nodemailer": "Nodemailer-5"}


def _result(sink: Sink, before: int, n: int, seconds: float) -> dict[str, Any]:
    sink.wait_for(before + n, timeout=30)
    return {"messages": n, "per_second": n / seconds, "sink_received": sink.received - before}


def run_naive(sink: Sink, n: int, warmup: int) -> dict[str, Any]:
    warm = sink.received + warmup
    run_smtplib(sink.port, warmup, CONTENT, reuse=False, compose_each=True)
    sink.wait_for(warm)
    before, started = sink.received, time.perf_counter()
    run_smtplib(sink.port, n, CONTENT, reuse=False, compose_each=True)
    return _result(sink, before, n, time.perf_counter() - started)


async def _aiosmtplib(port: int, n: int, connections: int, data: bytes) -> float:
    """Send ``n`` copies of ``data`` over ``connections`` connections; seconds until the last
    reply."""
    left = n
    finished = 0.0

    async def lane() -> None:
        nonlocal left, finished
        smtp = aiosmtplib.SMTP(
            hostname="127.0.0.1", port=port, start_tls=False, local_hostname="bench.local"
        )
        await smtp.connect()
        try:
            while left > 0:
                left -= 1
                await smtp.sendmail(SENDER, [RECIPIENT], data)
                finished = time.perf_counter()
        finally:
            await smtp.quit()

    started = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(connections)))
    return finished - started


def run_aiosmtplib(sink: Sink, n: int, warmup: int) -> dict[str, Any]:
    data = stdlib_email(CONTENT, 0)
    warm = sink.received + warmup
    asyncio.run(_aiosmtplib(sink.port, warmup, AIOSMTPLIB_CONNECTIONS, data))
    sink.wait_for(warm)
    before = sink.received
    seconds = asyncio.run(_aiosmtplib(sink.port, n, AIOSMTPLIB_CONNECTIONS, data))
    return _result(sink, before, n, seconds)


def nodemailer_missing() -> str | None:
    """Why Nodemailer cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (NODE_DIR / "node_modules" / "nodemailer").is_dir():
        return "run `npm ci` in bench/node"
    return None


def run_nodemailer(sink: Sink, n: int, warmup: int, timeout: float) -> dict[str, Any]:
    """Raises subprocess.CalledProcessError or TimeoutExpired when the Node peer fails."""
    node = shutil.which("node")
    assert node is not None
    before = sink.received + warmup  # the warm-up runs in the same Node process
    with tempfile.TemporaryDirectory(prefix="bench-node-") as tmp:
        message = os.path.join(tmp, "message.json")
        Path(message).write_text(json.dumps(peer_message()))
        script = str(NODE_DIR / "nodemailer_pool.js")
        args = [node, script, str(sink.port), str(n), str(NODEMAILER_CONNECTIONS), message]
        args.append(str(warmup))
        out = subprocess.run(args, check=True, capture_output=True, text=True, timeout=timeout)
    rate: float = json.loads(out.stdout)["rate"]
    return _result(sink, before, n, n / rate)


def run_peers(sink: Sink, n: int, warmup: int, timeout: float) -> dict[str, Any]:
    """Every peer's result by name; a skipped peer has ``skipped`` with the reason."""
    peers: dict[str, Any] = {
        "naive": run_naive(sink, n, warmup),
        "aiosmtplib": run_aiosmtplib(sink, n, warmup),
    }
    if missing := nodemailer_missing():
        peers["nodemailer"] = {"skipped": missing}
    else:
        peers["nodemailer"] = run_nodemailer(sink, n, warmup, timeout)
    return peers
