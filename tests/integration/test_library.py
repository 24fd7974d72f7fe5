"""The library surface: ``from smtp_connector import ...`` sends without the HTTP server."""

from __future__ import annotations

import smtp_connector
from smtp_connector import InvalidInput, SmtpSettings, send_email
from support.smtp_server import SmtpTestServer


def test_public_names_are_importable() -> None:
    for name in smtp_connector.__all__:
        assert getattr(smtp_connector, name) is not None, name


async def test_send_email_from_python(smtp_server: SmtpTestServer) -> None:
    settings: SmtpSettings = smtp_server.settings()
    result = await send_email(
        settings,
        {
            "From": "Me <me@example.com>",
            "To": "you@example.com",
            "Subject": "Report",
            "Body": "<p>Attached.</p>",
            "Attachments": [{"ContentData": "aGVsbG8=", "FileName": "hello.txt"}],
        },
    )
    assert result.accepted == ("you@example.com",)
    [received] = smtp_server.messages
    assert received.message["Message-ID"] == result.message_id
    [attachment] = list(received.message.iter_attachments())
    assert attachment.get_payload(decode=True) == b"hello"


async def test_invalid_payload_raises_before_connecting(smtp_server: SmtpTestServer) -> None:
    try:
        await send_email(smtp_server.settings(), {"From": "me@example.com", "Subject": "x"})
    except InvalidInput as exc:
        assert any(p.field == "To" for p in exc.problems)
    else:
        raise AssertionError("a payload without recipients was accepted")
    assert smtp_server.sessions == []
