"""Delivery throughput into one sink, peers side by side in the same run; prints ratios.

    python bench/bench_delivery.py [--messages 2000] [--rounds 3] [--sink PATH_TO_smtp-sink]

The sink is Postfix's ``smtp-sink`` when it can be found (``--sink``, ``$SMTP_SINK`` or PATH;
see bench/README.md for getting it without installing Postfix), else a small asyncio sink in a
subprocess (slower, so ratios near the top are then capped by the sink). Everything talks to
127.0.0.1 only, and every loop is bounded by ``--messages``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import smtplib
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY

from smtp_connector.mail.compose import compose
from smtp_connector.mail.message import Address, Attachment, Email
from smtp_connector.smtp import client
from smtp_connector.smtp.pool import SmtpPool
from smtp_connector.smtp.types import Security, SmtpSettings

HTML = "<html><body>" + "<p>Hello <b>there</b>, a new lead was created.</p>" * 30 + "</body></html>"
ATTACHMENT = bytes(range(256)) * 16

SINK_SCRIPT = r"""
import asyncio, sys
async def handle(reader, writer):
    writer.write(b"220 sink ESMTP\r\n")
    data = False
    while True:
        line = await reader.readline()
        if not line:
            break
        if data:
            if line == b".\r\n":
                data = False
                writer.write(b"250 2.0.0 Ok\r\n")
            continue
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            writer.write(b"250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
        elif verb == b"DATA":
            data = True
            writer.write(b"354 go\r\n")
        elif verb == b"QUIT":
            writer.write(b"221 bye\r\n")
            break
        else:
            writer.write(b"250 Ok\r\n")
        await writer.drain()
    writer.close()
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", int(sys.argv[1]))
    async with server:
        await server.serve_forever()
asyncio.run(main())
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_sink(path: str | None) -> tuple[subprocess.Popen[bytes], int, str]:
    port = free_port()
    if path:
        env = dict(os.environ)
        libdir = os.path.join(os.path.dirname(os.path.dirname(path)), "lib", "postfix")
        if os.path.isdir(libdir):
            env["LD_LIBRARY_PATH"] = libdir
        args = [path, "-c", "-u", "nobody", f"127.0.0.1:{port}", "1000"]
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL)
        name = "postfix smtp-sink"
    else:
        proc = subprocess.Popen([sys.executable, "-c", SINK_SCRIPT, str(port)])
        name = "asyncio sink (subprocess)"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port, name
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("the sink did not start")


def our_email(i: int) -> Email:
    return Email(
        sender=Address("sender@example.com", "Sales"),
        to=(Address("recipient@example.com"),),
        subject=f"Lead {i}",
        body=HTML,
        is_html=True,
        text_body="A new lead was created.",
        attachments=(Attachment(ATTACHMENT, "application/octet-stream", "lead.bin"),),
    )


def stdlib_email(i: int) -> bytes:
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["From"] = "Sales <sender@example.com>"
    msg["To"] = "recipient@example.com"
    msg["Subject"] = f"Lead {i}"
    msg.set_content("A new lead was created.")
    msg.add_alternative(HTML, subtype="html")
    msg.add_attachment(
        ATTACHMENT, maintype="application", subtype="octet-stream", filename="lead.bin"
    )
    return msg.as_bytes()


def run_smtplib(port: int, n: int, *, reuse: bool, compose_each: bool) -> None:
    prebuilt = stdlib_email(0)
    conn = smtplib.SMTP("127.0.0.1", port) if reuse else None
    for i in range(n):
        data = stdlib_email(i) if compose_each else prebuilt
        if conn is None:
            with smtplib.SMTP("127.0.0.1", port) as one:
                one.sendmail("sender@example.com", ["recipient@example.com"], data)
        else:
            conn.sendmail("sender@example.com", ["recipient@example.com"], data)
    if conn is not None:
        conn.quit()


async def run_ours(port: int, n: int, *, sessions: int | None, compose_each: bool) -> None:
    settings = SmtpSettings(
        host="127.0.0.1",
        port=port,
        security=Security.NONE,
        timeout_seconds=30,
        client_hostname="bench.local",
    )
    prebuilt = compose(our_email(0))
    if sessions is None:
        for i in range(n):
            message = compose(our_email(i)) if compose_each else prebuilt
            await client.deliver(settings, message.envelope, message.data)
        return
    pool = SmtpPool(max_sessions=sessions)
    queue = iter(range(n))

    async def lane() -> None:
        for i in queue:
            message = compose(our_email(i)) if compose_each else prebuilt
            await pool.deliver(settings, message.envelope, message.data)

    try:
        await asyncio.gather(*(lane() for _ in range(sessions)))
    finally:
        await pool.close()


NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")


def nodemailer_case(port: int, n: int, sessions: int) -> Callable[[], float] | None:
    """Nodemailer's pool, when ``node`` and ``bench/node/node_modules`` (npm ci) are there."""
    node = shutil.which("node")
    if node is None or not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "nodemailer")):
        return None
    script = os.path.join(NODE_DIR, "nodemailer_pool.js")

    def run() -> float:
        out = subprocess.run(
            [node, script, str(port), str(n), str(sessions)],
            check=True,
            capture_output=True,
            text=True,
            timeout=600,
        ).stdout
        rate: float = json.loads(out)["rate"]
        return rate

    return run


def measure(fn: Callable[[], object], n: int, rounds: int) -> float:
    """Median msgs/s; a case that reports its own rate (a float) is taken at its word."""
    rates = []
    for _ in range(rounds):
        started = time.perf_counter()
        own = fn()
        rates.append(own if isinstance(own, float) else n / (time.perf_counter() - started))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sink", default=os.environ.get("SMTP_SINK") or shutil.which("smtp-sink"))
    args = parser.parse_args()
    n, rounds = args.messages, args.rounds
    proc, port, sink_name = start_sink(args.sink)

    def ours(sessions: int | None, compose_each: bool) -> Callable[[], object]:
        def run() -> None:
            asyncio.run(run_ours(port, n, sessions=sessions, compose_each=compose_each))

        return run

    cases: list[tuple[str, Callable[[], object]]] = [
        (
            "smtplib, new connection per message, prebuilt",
            lambda: run_smtplib(port, n, reuse=False, compose_each=False),
        ),
        (
            "smtplib, 1 reused connection, prebuilt",
            lambda: run_smtplib(port, n, reuse=True, compose_each=False),
        ),
        (
            "smtplib + EmailMessage, 1 reused connection, composing each",
            lambda: run_smtplib(port, n, reuse=True, compose_each=True),
        ),
        ("smtp-connector deliver(), new connection per message, prebuilt", ours(None, False)),
        ("smtp-connector pool, 1 session, prebuilt", ours(1, False)),
        ("smtp-connector pool, 8 sessions, prebuilt", ours(8, False)),
        ("smtp-connector pool, 8 sessions, composing each", ours(8, True)),
        ("smtp-connector pool, 5 sessions, composing each", ours(5, True)),
    ]
    peer = nodemailer_case(port, n, 5)
    if peer is not None:
        cases.append(("Nodemailer pool, 5 connections, composing each", peer))
    else:
        print("(Nodemailer skipped: run `npm ci` in bench/node to include it)")
    try:
        results = [(name, measure(fn, n, rounds)) for name, fn in cases]
    finally:
        proc.kill()
        proc.wait()
    baseline = results[1][1]
    print(f"sink: {sink_name}; {n} messages (HTML + 4 KB attachment), median of {rounds}")
    print(f"{'sender':<66}{'msgs/s':>9}{'vs smtplib reused':>19}")
    for name, rate in results:
        print(f"{name:<66}{rate:>9.0f}{rate / baseline:>18.2f}x")


if __name__ == "__main__":
    main()
