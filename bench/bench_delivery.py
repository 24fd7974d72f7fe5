"""Delivery throughput into one sink, peers side by side in the same run; prints ratios.

    python bench/bench_delivery.py [--messages 2000] [--rounds 3] [--sink PATH_TO_smtp-sink]

The sink is Postfix's ``smtp-sink`` when it can be found (``--sink``, ``$SMTP_SINK`` or PATH;
see bench/README.md for getting it without installing Postfix), else a small asyncio sink in a
subprocess (slower, so ratios near the top are then capped by the sink): see ``sink.py``. The
``smtplib`` peers are ``naive.py``'s. One row sends to a second sink that does not offer
PIPELINING (``smtp-sink -p``), to show what pipelining is worth. Everything talks to 127.0.0.1
only, and every loop is bounded by ``--messages``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable

from naive import Content, run_smtplib
from sink import default_sink_path, start_sink
from smtp_connector.mail.compose import compose
from smtp_connector.mail.message import Address, Attachment, Email
from smtp_connector.smtp import client
from smtp_connector.smtp.pool import SmtpPool
from smtp_connector.smtp.types import Security, SmtpSettings

HTML = "<html><body>" + "<p>Hello <b>there</b>, a new lead was created.</p>" * 30 + "</body></html>"
ATTACHMENT = bytes(range(256)) * 16

LEAD = Content(html=HTML, text="A new lead was created.", attachment=ATTACHMENT)


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
    parser.add_argument("--sink", default=default_sink_path())
    args = parser.parse_args()
    n, rounds = args.messages, args.rounds
    sink = start_sink(args.sink)
    port = sink.port
    plain_sink = start_sink(args.sink, pipelining=False)

    def ours(sessions: int | None, compose_each: bool, *, to: int = port) -> Callable[[], object]:
        def run() -> None:
            asyncio.run(run_ours(to, n, sessions=sessions, compose_each=compose_each))

        return run

    cases: list[tuple[str, Callable[[], object]]] = [
        (
            "smtplib, new connection per message, prebuilt",
            lambda: run_smtplib(port, n, LEAD, reuse=False, compose_each=False),
        ),
        (
            "smtplib, 1 reused connection, prebuilt",
            lambda: run_smtplib(port, n, LEAD, reuse=True, compose_each=False),
        ),
        (
            "smtplib + EmailMessage, 1 reused connection, composing each",
            lambda: run_smtplib(port, n, LEAD, reuse=True, compose_each=True),
        ),
        ("smtp-connector deliver(), new connection per message, prebuilt", ours(None, False)),
        ("smtp-connector pool, 1 session, prebuilt", ours(1, False)),
        ("smtp-connector pool, 8 sessions, prebuilt", ours(8, False)),
        (
            "smtp-connector pool, 8 sessions, prebuilt, no PIPELINING",
            ours(8, False, to=plain_sink.port),
        ),
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
        sink.stop()
        plain_sink.stop()
    baseline = results[1][1]
    print(f"sink: {sink.name}; {n} messages (HTML + 4 KB attachment), median of {rounds}")
    print(f"{'sender':<66}{'msgs/s':>9}{'vs smtplib reused':>19}")
    for name, rate in results:
        print(f"{name:<66}{rate:>9.0f}{rate / baseline:>18.2f}x")


if __name__ == "__main__":
    main()
