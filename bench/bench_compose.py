"""Compose speed: our composer against ``email.message.EmailMessage``.

Run: ``python bench/bench_compose.py [-n 2000]``. Two messages, each with an HTML body of about
2 KB, its plain-text alternative and one attachment: an order update (12 paragraphs with links,
4 KB attached) and the message of the HTTP benchmark (``bench_http.py``: 40 short paragraphs,
3 KB attached). For the second, ``prepare`` also validates the Send Email body (the JSON payload
of the HTTP API) before composing, as every send does. CPU time, best of five rounds, per message.
"""

from __future__ import annotations

import argparse
import base64
import email.policy
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address as StdAddress
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from smtp_connector.connections import Connection
from smtp_connector.mail.compose import compose
from smtp_connector.mail.html_text import html_to_text
from smtp_connector.mail.limits import Limits
from smtp_connector.mail.message import Address, Attachment, Email
from smtp_connector.sending import prepare
from smtp_connector.smtp.types import Security

PARAGRAPH = (
    "<p>Hello <b>Ana</b>, your order <a href='https://shop.example/o/1234'>#1234</a> "
    "has shipped. It contains <i>3 items</i> and will arrive on Thursday.</p>\n"
)
LEAD = "<p>Lead {:02d}: Jane Doe asked for <b>a quote</b>.</p>\n"


@dataclass(frozen=True)
class Message:
    subject: str
    html: str
    data: bytes
    content_type: str
    filename: str

    @property
    def text(self) -> str:
        return html_to_text(self.html)

    def email(self, text_body: str | None) -> Email:
        return Email(
            sender=Address("shop@example.com", "Example Shop"),
            to=(Address("ana@example.org", "Ana Lima"),),
            subject=self.subject,
            body=self.html,
            is_html=True,
            text_body=text_body,
            attachments=(Attachment(self.data, self.content_type, self.filename),),
        )

    def send_body(self) -> dict[str, object]:
        """The Send Email body of the HTTP API for this message."""
        return {
            "From": "Example Shop <shop@example.com>",
            "To": "Ana Lima <ana@example.org>",
            "Subject": self.subject,
            "Body": self.html,
            "IsHtml": True,
            "Attachments": [
                {
                    "ContentData": base64.b64encode(self.data).decode(),
                    "ContentType": self.content_type,
                    "FileName": self.filename,
                }
            ],
        }


ORDER = Message(
    "Your order #1234 has shipped",
    "<html><body><h1>Order update</h1>\n" + PARAGRAPH * 12 + "</body></html>",
    os.urandom(4096),
    "application/pdf",
    "invoice-1234.pdf",
)
LEADS = Message(
    "New lead created",
    "<html><body>\n" + "".join(LEAD.format(i) for i in range(1, 41)) + "</body></html>",
    bytes(range(256)) * 12,
    "application/octet-stream",
    "lead.bin",
)
CONNECTION = Connection(name="bench", server="127.0.0.1", port=25, security=Security.NONE)


def stdlib(message: Message, text: str) -> bytes:
    mail = EmailMessage(policy=email.policy.SMTP)
    mail["Date"] = format_datetime(datetime.now(UTC))
    mail["From"] = StdAddress("Example Shop", addr_spec="shop@example.com")
    mail["To"] = StdAddress("Ana Lima", addr_spec="ana@example.org")
    mail["Subject"] = message.subject
    mail["Message-ID"] = make_msgid(domain="example.com")
    mail.set_content(text)
    mail.add_alternative(message.html, subtype="html")
    maintype, subtype = message.content_type.split("/")
    mail.add_attachment(message.data, maintype, subtype, filename=message.filename)
    return mail.as_bytes()


def per_message_us(func: Callable[[], object], number: int) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        for _ in range(number):
            func()
        best = min(best, time.process_time() - start)
    return best / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", "--number", type=int, default=2000, help="messages per round")
    number = parser.parse_args().number
    limits = Limits()
    for message in (ORDER, LEADS):
        text = message.text
        given, made = message.email(text), message.email(None)
        payload = message.send_body()
        print(
            f"{message.subject}: HTML {len(message.html)} chars, attachment "
            f"{len(message.data)} bytes, {number} messages x 5 rounds"
        )
        std = per_message_us(lambda m=message, t=text: stdlib(m, t), number)
        rows = [
            ("stdlib EmailMessage (SMTP policy)", std),
            ("compose, text_body given", per_message_us(lambda e=given: compose(e), number)),
            ("compose, text made from the HTML", per_message_us(lambda e=made: compose(e), number)),
        ]
        if message is LEADS:
            row = per_message_us(lambda p=payload: prepare(CONNECTION, p, limits), number)
            rows.append(("prepare: validate the body, compose", row))
        for label, micros in rows:
            print(f"  {label:38} {micros:8.1f} us/message  x{std / micros:.1f}")


if __name__ == "__main__":
    main()
