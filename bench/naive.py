"""The naive Python connector, the peer the benchmarks compare with: ``smtplib`` + ``EmailMessage``.

It is the simplest code that sends the benchmark's message: compose it with the standard
library's ``EmailMessage`` (a plain-text part, the HTML alternative, one attachment) and hand the
bytes to ``smtplib``, on a new connection per message or on one reused connection.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY

SENDER = "sender@example.com"
RECIPIENT = "recipient@example.com"


@dataclass(frozen=True)
class Content:
    """What every sender in a benchmark sends: the same body and attachment each time."""

    html: str
    text: str
    attachment: bytes
    filename: str = "lead.bin"
    maintype: str = "application"
    subtype: str = "octet-stream"


def stdlib_email(content: Content, i: int) -> bytes:
    """Message ``i`` composed with ``EmailMessage`` (SMTP policy: CRLF line ends)."""
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["From"] = f"Sales <{SENDER}>"
    msg["To"] = RECIPIENT
    msg["Subject"] = f"Lead {i}"
    msg.set_content(content.text)
    msg.add_alternative(content.html, subtype="html")
    msg.add_attachment(
        content.attachment,
        maintype=content.maintype,
        subtype=content.subtype,
        filename=content.filename,
    )
    return msg.as_bytes()


def run_smtplib(port: int, n: int, content: Content, *, reuse: bool, compose_each: bool) -> None:
    """Send ``n`` messages to 127.0.0.1:``port``, one after another.

    ``reuse``: one connection for all (else a new one per message); ``compose_each``: compose
    every message (else send message 0's bytes each time). Raises smtplib's errors.
    """
    prebuilt = stdlib_email(content, 0)
    conn = smtplib.SMTP("127.0.0.1", port) if reuse else None
    for i in range(n):
        data = stdlib_email(content, i) if compose_each else prebuilt
        if conn is None:
            with smtplib.SMTP("127.0.0.1", port) as one:
                one.sendmail(SENDER, [RECIPIENT], data)
        else:
            conn.sendmail(SENDER, [RECIPIENT], data)
    if conn is not None:
        conn.quit()
