"""Compose speed: our composer against ``email.message.EmailMessage``.

Run: ``python bench/bench_compose.py [-n 2000]``. Each message has a ~2 KB HTML body, its
plain-text alternative and one 4 KB attachment. Best of five rounds, per message.
"""

from __future__ import annotations

import argparse
import email.policy
import os
import timeit
from collections.abc import Callable
from datetime import UTC, datetime
from email.headerregistry import Address as StdAddress
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from smtp_connector.mail.compose import compose
from smtp_connector.mail.html_text import html_to_text
from smtp_connector.mail.message import Address, Attachment, Email

PARAGRAPH = (
    "<p>Hello <b>Ana</b>, your order <a href='https://shop.example/o/1234'>#1234</a> "
    "has shipped. It contains <i>3 items</i> and will arrive on Thursday.</p>\n"
)
HTML = "<html><body><h1>Order update</h1>\n" + PARAGRAPH * 12 + "</body></html>"
TEXT = html_to_text(HTML)
DATA = os.urandom(4096)
SUBJECT = "Your order #1234 has shipped"


def ours(text_body: str | None) -> bytes:
    message = Email(
        sender=Address("shop@example.com", "Example Shop"),
        to=(Address("ana@example.org", "Ana Lima"),),
        subject=SUBJECT,
        body=HTML,
        is_html=True,
        text_body=text_body,
        attachments=(Attachment(DATA, "application/pdf", "invoice-1234.pdf"),),
    )
    return compose(message).data


def stdlib() -> bytes:
    message = EmailMessage(policy=email.policy.SMTP)
    message["Date"] = format_datetime(datetime.now(UTC))
    message["From"] = StdAddress("Example Shop", addr_spec="shop@example.com")
    message["To"] = StdAddress("Ana Lima", addr_spec="ana@example.org")
    message["Subject"] = SUBJECT
    message["Message-ID"] = make_msgid(domain="example.com")
    message.set_content(TEXT)
    message.add_alternative(HTML, subtype="html")
    message.add_attachment(DATA, "application", "pdf", filename="invoice-1234.pdf")
    return message.as_bytes()


def per_message_us(func: Callable[[], object], number: int) -> float:
    best = min(timeit.repeat(func, number=number, repeat=5))
    return best / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", "--number", type=int, default=2000, help="messages per round")
    number = parser.parse_args().number
    print(f"HTML {len(HTML)} chars, attachment {len(DATA)} bytes, {number} messages x 5 rounds")
    std = per_message_us(stdlib, number)
    given_text = per_message_us(lambda: ours(TEXT), number)
    generated = per_message_us(lambda: ours(None), number)
    rows = [
        ("stdlib EmailMessage (SMTP policy)", std),
        ("compose, text_body given", given_text),
        ("compose, text made from the HTML", generated),
    ]
    for label, micros in rows:
        print(f"{label:36} {micros:8.1f} us/message  x{std / micros:.1f}")


if __name__ == "__main__":
    main()
