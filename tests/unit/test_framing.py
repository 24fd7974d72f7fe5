"""The bytes of a mail transaction: the same as aiosmtplib writes, for any message and address."""

from __future__ import annotations

import pytest
from aiosmtplib.email import quote_address
from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings
from hypothesis import given
from hypothesis import strategies as st

from smtp_connector.smtp.framing import crlf_lines, data_payload, mail_line, rcpt_line
from support.growth import growth

# Messages made of the bytes that matter here (line ends, dots) and a little else, so that
# lone CRs, lone LFs, CRLFs, "\r\r\n", "\n." and a leading dot all come up often.
_pieces = st.sampled_from([b"\r\n", b"\r", b"\n", b".", b"..", b"a", b"\xff", b" ", b"\x00"])
messages = st.lists(_pieces, max_size=60).map(b"".join) | st.binary(max_size=200)


def aiosmtplib_payload(data: bytes) -> bytes:
    """What aiosmtplib's ``data()`` writes after ``354``."""
    return PERIOD_REGEX.sub(b"..", normalize_message_line_endings(data)) + b".\r\n"


@given(messages)
def test_line_endings_are_those_of_aiosmtplib(data: bytes) -> None:
    assert crlf_lines(data) == normalize_message_line_endings(data)


@given(messages)
def test_payload_is_that_of_aiosmtplib(data: bytes) -> None:
    assert data_payload(crlf_lines(data)) == aiosmtplib_payload(data)


def test_a_crlf_message_is_not_copied() -> None:
    data = b"Subject: hi\r\n\r\nHello\r\n"
    assert crlf_lines(data) is data


@pytest.mark.parametrize(
    ("data", "payload"),
    [
        (b"", b"\r\n.\r\n"),
        (b".", b"..\r\n.\r\n"),
        (b"a\n.b\r.\r\n", b"a\r\n..b\r\n..\r\n.\r\n"),
        (b"a\r\r\nb", b"a\r\n\r\nb\r\n.\r\n"),
    ],
)
def test_examples(data: bytes, payload: bytes) -> None:
    assert data_payload(crlf_lines(data)) == payload


@pytest.mark.parametrize("unit", ["\r", "\n.", "\r\n", ".\r\r\n", "a\n"])
def test_hostile_messages_take_linear_time(unit: str) -> None:
    """Every line a lone CR or a dot: 16 times the bytes, about 16 times the time."""

    def frame(text: str) -> bytes:
        return data_payload(crlf_lines(text.encode("latin-1")))

    ratio = growth(frame, unit * 20_000, unit * 320_000)
    assert ratio < 64, f"16x the input took {ratio:.0f}x the time"


_local = st.text("abcxyzABCXYZ0189._+-", min_size=1, max_size=12)
_domain = st.text("abcxyz0189.-", min_size=1, max_size=12)


@given(_local, _domain, st.lists(st.sampled_from(["SIZE=12", "BODY=8BITMIME", "SMTPUTF8"])))
def test_plain_addresses_are_quoted_as_aiosmtplib_does(
    local: str, domain: str, options: list[str]
) -> None:
    address = f"{local}@{domain}"
    expected = quote_address(address).encode("ascii")
    tail = b"".join(b" " + option.encode() for option in options) + b"\r\n"
    assert mail_line(address, options, "ascii") == b"MAIL FROM:" + expected + tail
    assert rcpt_line(address, options, "ascii") == b"RCPT TO:" + expected + tail


@pytest.mark.parametrize(
    ("address", "line"),
    [
        ("Bob <bob@example.com>", b"RCPT TO:<bob@example.com>\r\n"),
        ('"odd user"@example.com', b'RCPT TO:<"odd user"@example.com>\r\n'),
        ("b\u00f6b@b\u00fccher.example", "RCPT TO:<b\u00f6b@b\u00fccher.example>\r\n".encode()),
    ],
)
def test_other_addresses_go_through_aiosmtplib(address: str, line: bytes) -> None:
    assert rcpt_line(address, [], "utf-8") == line


@pytest.mark.parametrize("address", ["bob\x00@example.com", "<bob smith@example.com>", "<>"])
def test_an_address_that_cannot_go_on_a_command_line_is_refused(address: str) -> None:
    with pytest.raises(ValueError):
        rcpt_line(address, [], "ascii")
