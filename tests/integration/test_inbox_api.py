"""``/v1/inbox``: what the local inbox captured over real SMTP, summarised when it arrived."""

from __future__ import annotations

import smtplib

from fastapi.testclient import TestClient

from smtp_connector.inbox import Inbox


def _deliver(inbox: Inbox, data: bytes) -> None:
    with smtplib.SMTP(inbox.host, inbox.port, timeout=10) as smtp:
        smtp.sendmail("x@example.com", ["y@example.com"], data)


def test_an_unknown_charset_is_listed_with_a_readable_preview(
    api: TestClient, inbox: Inbox
) -> None:
    _deliver(
        inbox,
        b"Subject: hi\r\nContent-Type: text/plain; charset=x-no-such-charset\r\n\r\nhello \xe9\r\n",
    )
    response = api.get("/v1/inbox")
    assert response.status_code == 200, response.text
    [message] = response.json()["messages"]
    assert message["subject"] == "hi"
    assert message["preview"] == "hello \ufffd\r\n"  # the unknown byte is replaced, not fatal
