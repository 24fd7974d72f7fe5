"""``inbox.summarise``: what the local inbox shows of a raw message, for any bytes at all."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from smtp_connector.inbox import PREVIEW_CHARS, summarise

CHARSETS = ["utf-8", "latin-1", "x-no-such-charset", "zlib", "idna", "utf-7", "", "\u00e9"]


def test_headers_attachments_and_preview() -> None:
    summary = summarise(
        b"From: A <a@example.com>\r\nTo: b@example.com\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n"
        b"Message-ID: <1@example.com>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n"
        b"--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=a.txt\r\n"
        b"\r\nzz\r\n--b--\r\n"
    )
    assert (summary.from_, summary.to, summary.subject) == (
        "A <a@example.com>",
        "b@example.com",
        "café",
    )
    assert summary.message_id == "<1@example.com>"
    assert summary.attachments == ("a.txt",)
    assert summary.preview == "hello"


def test_a_charset_that_is_no_text_codec_still_gives_a_preview() -> None:
    summary = summarise(b"Content-Type: text/plain; charset=zlib\r\n\r\nhello\r\n")
    assert summary.preview == "hello\r\n"


@given(st.binary(max_size=2000))
def test_any_bytes_give_a_summary(data: bytes) -> None:
    assert len(summarise(data).preview) <= PREVIEW_CHARS


@given(
    charset=st.sampled_from(CHARSETS),
    encoding=st.sampled_from(["7bit", "8bit", "base64", "quoted-printable", "x-unknown"]),
    body=st.binary(max_size=600),
    filename=st.text(st.characters(exclude_categories=("Cs",)), max_size=20),
)
def test_any_charset_and_encoding_give_a_summary(
    charset: str, encoding: str, body: bytes, filename: str
) -> None:
    head = (
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
        f"Content-Type: text/plain; charset={charset}\r\n"
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
    )
    tail = (
        "\r\n--b\r\nContent-Type: application/octet-stream\r\n"
        f"Content-Disposition: attachment; filename*={charset}''{filename}\r\n\r\nx\r\n--b--\r\n"
    )
    data = head.encode("utf-8") + body + tail.encode("utf-8")
    summary = summarise(data)
    assert len(summary.preview) <= PREVIEW_CHARS
