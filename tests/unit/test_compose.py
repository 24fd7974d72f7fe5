"""The MIME composer, checked through what the stdlib parser (as a mail reader) sees."""

from __future__ import annotations

import email
import email.header
import email.policy
import os
import re
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smtp_connector.errors import InvalidInput
from smtp_connector.mail.compose import compose
from smtp_connector.mail.message import Address, Attachment, Email, Importance

SENDER = Address("sender@example.com", "Sender")
TO = Address("to@example.com", "To Person")
PDF = Attachment(b"%PDF-1.4 fake", "application/pdf", "report.pdf")
LOGO = Attachment(b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "image/png", "logo.png", "logo")
HTML = '<p>Hello <b>there</b></p><img src="cid:logo">'

# Text without control characters (the Subject/display-name domain) and without surrogates.
_visible = st.characters(blacklist_categories=("Cc", "Cs"))
# Pieces that meet the encoder's special cases: encoded-word markers, quoting, RFC 2231, spaces.
_tricky = st.sampled_from(
    [
        "=?",
        "?=",
        "=?utf-8?b?YQ==?=",
        "=?utf-8?q?a?=",
        '"',
        "\\",
        " ",
        "  ",
        ";",
        "%",
        "'",
        "*",
        "=_",
        ",",
        "é",
        "漢",
        "😀",
        "x" * 80,
    ]
)
visible_text = st.one_of(
    st.text(_visible),
    st.lists(st.one_of(_tricky, st.text(_visible, max_size=3))).map("".join),
)
_body_pieces = st.sampled_from(
    ["\r", "\n", "\r\n", ".", "=_", "--", "=", " ", "\t", "\0", "é", "From ", "x" * 1000]
)
any_text = st.one_of(
    st.text(),  # any code point but surrogates
    st.lists(st.one_of(_body_pieces, st.text(max_size=3))).map("".join),
)
many = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def make(**fields: Any) -> Email:
    fields.setdefault("sender", SENDER)
    fields.setdefault("to", (TO,))
    return Email(**fields)


def parse(data: bytes) -> EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)


def roundtrip(**fields: Any) -> EmailMessage:
    data = compose(make(**fields)).data
    assert_wire_format(data)
    return parse(data)


def assert_wire_format(data: bytes) -> None:
    """CRLF everywhere, final CRLF, no line over 998 octets."""
    assert data.endswith(b"\r\n")
    lines = data[:-2].split(b"\r\n")
    for line in lines:
        assert b"\r" not in line
        assert b"\n" not in line
        assert len(line) <= 998


def header_block(data: bytes) -> bytes:
    return data.split(b"\r\n\r\n", 1)[0]


def raw_header(data: bytes, name: str) -> str:
    """One header as written (folded), from a wire message."""
    match = re.search(
        rb"^" + name.encode() + rb":(.*?)\r\n(?! )", header_block(data) + b"\r\n", re.M | re.S
    )
    assert match is not None, name
    return match.group(1).decode("utf-8")


def shape(part: EmailMessage) -> Any:
    """The MIME tree as nested (content type, [children]) with leaves as content types."""
    if part.is_multipart():
        children = cast(list[EmailMessage], part.get_payload())
        return (part.get_content_type(), [shape(child) for child in children])
    return part.get_content_type()


def leaves(msg: EmailMessage) -> list[EmailMessage]:
    return [p for p in cast(list[EmailMessage], list(msg.walk())) if not p.is_multipart()]


def normalized(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")


# --- envelope and top-level headers -------------------------------------------------------


def test_envelope_has_every_recipient_in_order_and_bcc_is_not_a_header() -> None:
    bcc = Address("hidden@example.com", "Hidden")
    msg = make(to=(TO,), cc=(Address("cc@example.com"),), bcc=(bcc,))
    composed = compose(msg)
    assert composed.envelope.mail_from == "sender@example.com"
    assert composed.envelope.rcpt_to == ("to@example.com", "cc@example.com", "hidden@example.com")
    assert composed.envelope.smtputf8 is False
    assert composed.envelope.dsn is False
    assert b"hidden" not in composed.data
    parsed = parse(composed.data)
    assert parsed["Bcc"] is None
    assert [a.addr_spec for a in parsed["Cc"].addresses] == ["cc@example.com"]


def test_headers_come_in_the_documented_order() -> None:
    msg = make(
        cc=(Address("cc@example.com"),),
        reply_to=(Address("reply@example.com"),),
        subject="Order",
        importance=Importance.LOW,
        read_receipt=Address("read@example.com"),
        delivery_receipt=Address("dsn@example.com"),
        headers=(("X-Custom", "yes"), ("X-Other", "1")),
    )
    assert list(parse(compose(msg).data).keys()) == [
        "Date",
        "From",
        "To",
        "Cc",
        "Reply-To",
        "Subject",
        "Message-ID",
        "MIME-Version",
        "Importance",
        "X-Priority",
        "X-MSMail-Priority",
        "Disposition-Notification-To",
        "Return-Receipt-To",
        "X-Custom",
        "X-Other",
        "Content-Type",
        "Content-Transfer-Encoding",
    ]


def test_to_and_cc_are_left_out_when_empty() -> None:
    parsed = parse(compose(make(to=(), bcc=(TO,))).data)
    assert parsed["To"] is None
    assert parsed["Cc"] is None
    assert parsed["MIME-Version"] == "1.0"


def test_date_given_is_written_per_rfc5322() -> None:
    when = datetime(2024, 2, 29, 13, 5, 9, tzinfo=timezone(timedelta(hours=2)))
    composed = compose(make(), date=when)
    assert raw_header(composed.data, "Date") == " Thu, 29 Feb 2024 13:05:09 +0200"
    assert parse(composed.data)["Date"].datetime == when


def test_date_defaults_to_now_in_utc() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    written = parse(compose(make()).data)["Date"].datetime
    assert written.utcoffset() == timedelta(0)
    assert before <= written <= datetime.now(UTC)
    assert raw_header(compose(make(), date=before).data, "Date") == " " + format_datetime(before)


def test_generated_message_id_is_unique_and_uses_the_sender_domain() -> None:
    first = compose(make(sender=Address("Someone@Mail.Example.COM")))
    second = compose(make(sender=Address("Someone@Mail.Example.COM")))
    assert re.fullmatch(r"<[0-9a-f]{32}@mail\.example\.com>", first.message_id)
    assert first.message_id != second.message_id
    assert parse(first.data)["Message-ID"] == first.message_id


def test_generated_message_id_without_sender_domain_uses_fallback() -> None:
    composed = compose(make(sender=Address("postmaster")))
    assert composed.message_id.endswith("@smtp-connector.invalid>")


@pytest.mark.parametrize("given_id", ["<abc.123@example.org>", "abc.123@example.org"])
def test_given_message_id_is_used_with_angle_brackets(given_id: str) -> None:
    composed = compose(make(), message_id=given_id)
    assert composed.message_id == "<abc.123@example.org>"
    assert raw_header(composed.data, "Message-ID") == " <abc.123@example.org>"


@pytest.mark.parametrize("bad_id", ["<a@b>\r\nBcc: x@y", "<a b@c>", "<>", "<ü@x>"])
def test_given_message_id_must_be_a_printable_token(bad_id: str) -> None:
    with pytest.raises(InvalidInput):
        compose(make(), message_id=bad_id)


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (Importance.HIGH, ("High", "1 (Highest)", "High")),
        (Importance.NORMAL, ("Normal", "3 (Normal)", "Normal")),
        (Importance.LOW, ("Low", "5 (Lowest)", "Low")),
    ],
)
def test_importance_headers(level: Importance, expected: tuple[str, str, str]) -> None:
    parsed = roundtrip(importance=level)
    assert (parsed["Importance"], parsed["X-Priority"], parsed["X-MSMail-Priority"]) == expected


def test_no_importance_headers_when_not_set() -> None:
    parsed = roundtrip()
    assert parsed["Importance"] is None
    assert parsed["X-Priority"] is None


def test_receipts() -> None:
    msg = make(
        read_receipt=Address("read@example.com", "Read Me"),
        delivery_receipt=Address("dsn@example.com"),
    )
    composed = compose(msg)
    parsed = parse(composed.data)
    assert parsed["Disposition-Notification-To"] == "Read Me <read@example.com>"
    assert parsed["Return-Receipt-To"] == "dsn@example.com"
    assert composed.envelope.dsn is True


def test_custom_headers_are_written_and_non_ascii_values_encoded() -> None:
    composed = compose(make(headers=(("X-Ticket", "ABC-123"), ("X-Note", "naïve café ☕"))))
    assert raw_header(composed.data, "X-Ticket") == " ABC-123"
    assert raw_header(composed.data, "X-Note").startswith(" =?utf-8?b?")
    assert composed.data.isascii()
    parsed = parse(composed.data)
    assert parsed["X-Ticket"] == "ABC-123"
    assert parsed["X-Note"] == "naïve café ☕"


@pytest.mark.parametrize("name", ["Bcc", "content-type", "From", "MIME-Version", "Subject"])
def test_custom_headers_may_not_replace_composed_ones(name: str) -> None:
    with pytest.raises(InvalidInput):
        compose(make(headers=((name, "x@example.com"),)))


# --- subject ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "subject",
    [
        "Hello world",
        "你好，世界 — 测试邮件",
        "Party 🎉🎂 time 👩‍👩‍👧‍👦",
        "Literal =?utf-8?q?not_encoded?= text",
        " leading and trailing spaces ",
        "  leading spaces",
        "trailing space ",
        "",
    ],
)
def test_subject_round_trips(subject: str) -> None:
    composed = compose(make(subject=subject))
    assert composed.data.isascii()
    assert parse(composed.data)["Subject"] == subject


def test_long_ascii_subject_is_folded_at_spaces() -> None:
    subject = " ".join(f"word{i}" for i in range(60))
    assert len(subject) >= 300
    composed = compose(make(subject=subject))
    folded = raw_header(composed.data, "Subject")
    assert "=?" not in folded
    assert folded.count("\r\n") >= 3
    assert all(len(line) <= 78 for line in f"Subject:{folded}".split("\r\n"))
    assert parse(composed.data)["Subject"] == subject


def test_long_non_ascii_subject_uses_short_encoded_words() -> None:
    subject = "Ünïcödé 漢字 😀 " * 30
    composed = compose(make(subject=subject))
    folded = f"Subject:{raw_header(composed.data, 'Subject')}"
    for line in folded.split("\r\n"):
        assert len(line) <= 76
        for word in re.findall(r"=\?[^ ]*\?=", line):
            assert len(word) <= 75
    assert parse(composed.data)["Subject"] == subject


def test_single_word_longer_than_a_line_is_still_within_998() -> None:
    subject = "x" * 3000
    data = compose(make(subject=subject)).data
    assert_wire_format(data)
    assert parse(data)["Subject"] == subject


def test_encoded_words_never_split_a_character() -> None:
    subject = "€" * 100 + "🎉" * 50
    folded = raw_header(compose(make(subject=subject)).data, "Subject")
    words = re.findall(r"=\?utf-8\?b\?([^?]*)\?=", folded)
    assert len(words) > 3
    import base64

    for word in words:
        base64.b64decode(word).decode("utf-8")  # raises if a character was cut


@many
@given(subject=visible_text)
def test_any_subject_round_trips(subject: str) -> None:
    data = compose(make(subject=subject)).data
    assert_wire_format(data)
    assert data.isascii()
    assert parse(data)["Subject"] == subject


# --- addresses ----------------------------------------------------------------------------


def test_display_names_are_quoted_encoded_or_left_out() -> None:
    to = (
        Address("a@example.com", "Smith, John"),
        Address("b@example.com", 'Say "hi" \\ bye'),
        Address("c@example.com", "张伟"),
        Address("d@example.com"),
        Address("e@example.com", "Plain Name"),
        Address("f@example.com", "=?utf-8?q?not_encoded?="),
    )
    composed = compose(make(to=to))
    written = raw_header(composed.data, "To").replace("\r\n", "")
    assert '"Smith, John" <a@example.com>' in written
    assert '"Say \\"hi\\" \\\\ bye" <b@example.com>' in written
    assert "=?utf-8?b?" in written
    assert ", d@example.com," in written
    assert "Plain Name <e@example.com>" in written
    addresses = parse(composed.data)["To"].addresses
    assert [(a.display_name, a.addr_spec) for a in addresses] == [
        (a.display_name, a.addr_spec) for a in to
    ]


def test_emoji_sender_name() -> None:
    parsed = roundtrip(sender=Address("s@example.com", "Ana 🌻 Łukasz"))
    assert parsed["From"].addresses[0].display_name == "Ana 🌻 Łukasz"


def test_long_non_ascii_display_name_decodes_per_rfc2047() -> None:
    # Python's modern parser keeps the space between encoded-words in a phrase (against
    # RFC 2047 6.2), so the long name is checked with the RFC-following legacy decoder.
    name = "Сергей Александрович Константинопольский-Иванов"
    data = compose(make(to=(Address("s@example.com", name),))).data
    header = raw_header(data, "To")
    assert header.count("=?utf-8?b?") > 1
    decoded = str(email.header.make_header(email.header.decode_header(header)))
    assert decoded == f"{name} <s@example.com>"


def test_many_recipients_fold_between_addresses() -> None:
    to = tuple(Address(f"user{i}@example.com", f"User Number {i}") for i in range(40))
    composed = compose(make(to=to))
    folded = f"To:{raw_header(composed.data, 'To')}"
    assert folded.count("\r\n") >= 15
    for line in folded.split("\r\n"):
        assert len(line) <= 78
        assert re.fullmatch(r"(To:)?( User Number \d+ <user\d+@example\.com>,?)+", line)
    parsed = parse(composed.data)["To"].addresses
    assert [(a.display_name, a.addr_spec) for a in parsed] == [
        (a.display_name, a.addr_spec) for a in to
    ]


def short_names() -> st.SearchStrategy[str]:
    # One encoded-word holds 45 octets; longer names are split and Python's parser then adds
    # spaces (see above), so the property is checked on names that fit in one word.
    return visible_text.filter(lambda n: len(" ".join(n.split()).encode()) <= 45)


@many
@given(name=short_names())
def test_any_display_name_round_trips(name: str) -> None:
    data = compose(make(to=(Address("r@example.com", name),), reply_to=(TO,))).data
    assert_wire_format(data)
    assert data.isascii()
    (address,) = parse(data)["To"].addresses
    assert address.display_name == " ".join(name.split())
    assert address.addr_spec == "r@example.com"


def test_ascii_output_without_smtputf8() -> None:
    msg = make(
        sender=Address("s@example.com", "Zoë"),
        subject="Grüße",
        body="<p>Grüße 🌍</p>",
        is_html=True,
        attachments=(Attachment(b"x", filename="résumé.pdf"),),
    )
    composed = compose(msg)
    assert composed.envelope.smtputf8 is False
    assert composed.data.isascii()


def test_smtputf8_writes_raw_utf8_addresses_and_keeps_the_rest_encoded() -> None:
    sender = Address("józef@example.com", "Józef")
    composed = compose(make(sender=sender, subject="Cześć", body="zażółć"))
    assert composed.envelope.smtputf8 is True
    assert composed.envelope.mail_from == "józef@example.com"
    head = header_block(composed.data)
    assert "<józef@example.com>".encode() in head
    assert "Józef".encode() not in head  # display name still RFC 2047
    body = composed.data[len(head) :]
    assert body.isascii()
    for line in head.split(b"\r\n"):
        if not line.startswith(b"From:"):
            assert line.isascii()
    # BytesParser reads headers as ASCII; RFC 6532 headers are UTF-8 text.
    parsed = email.message_from_string(composed.data.decode("utf-8"), policy=email.policy.default)
    assert parsed["From"].addresses[0].addr_spec == "józef@example.com"
    assert parsed["From"].addresses[0].display_name == "Józef"
    assert parsed["Subject"] == "Cześć"


def test_non_ascii_receipt_address_turns_on_smtputf8() -> None:
    composed = compose(make(read_receipt=Address("łukasz@example.com")))
    assert composed.envelope.smtputf8 is True
    assert "łukasz@example.com".encode() in header_block(composed.data)


# --- MIME structure -----------------------------------------------------------------------

BOTH = ["text/plain", "text/html"]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, "text/plain"),
        ({"is_html": True}, ("multipart/alternative", BOTH)),
        (
            {"is_html": True, "attachments": (LOGO,)},
            ("multipart/related", [("multipart/alternative", BOTH), "image/png"]),
        ),
        (
            {"is_html": True, "attachments": (PDF, LOGO)},
            (
                "multipart/mixed",
                [
                    ("multipart/related", [("multipart/alternative", BOTH), "image/png"]),
                    "application/pdf",
                ],
            ),
        ),
        (
            {"is_html": True, "attachments": (PDF,)},
            ("multipart/mixed", [("multipart/alternative", BOTH), "application/pdf"]),
        ),
        ({"attachments": (PDF,)}, ("multipart/mixed", ["text/plain", "application/pdf"])),
        ({"attachments": (LOGO,)}, ("multipart/mixed", ["text/plain", "image/png"])),
    ],
    ids=[
        "plain",
        "html",
        "html+inline",
        "html+inline+attachment",
        "html+attachment",
        "plain+attachment",
        "inline-not-html",
    ],
)
def test_mime_tree(fields: dict[str, Any], expected: Any) -> None:
    body = HTML if fields.get("is_html") else "Hello"
    assert shape(roundtrip(body=body, **fields)) == expected


def test_related_declares_its_root_type() -> None:
    parsed = roundtrip(body=HTML, is_html=True, attachments=(LOGO,))
    assert parsed.get_param("type") == "multipart/alternative"


def test_text_parts_are_utf8() -> None:
    parsed = roundtrip(body="<p>Ünïcode</p>", is_html=True, text_body="Ünïcode")
    plain, html = leaves(parsed)
    assert plain.get_content_charset() == "utf-8"
    assert html.get_content_charset() == "utf-8"
    assert plain.get_content() == "Ünïcode"
    assert html.get_content() == "<p>Ünïcode</p>"


def test_plain_alternative_is_generated_from_html() -> None:
    plain, html = leaves(roundtrip(body="<h1>Title</h1><p>Line<br>two</p>", is_html=True))
    assert plain.get_content() == "Title\r\n\r\nLine\r\ntwo"
    assert html.get_content() == "<h1>Title</h1><p>Line<br>two</p>"


def test_text_body_is_used_for_html_and_ignored_for_plain() -> None:
    plain, _ = leaves(roundtrip(body="<p>x</p>", is_html=True, text_body="Hand written"))
    assert plain.get_content() == "Hand written"
    (only,) = leaves(roundtrip(body="The body", text_body="Ignored"))
    assert only.get_content() == "The body\r\n"


def test_inline_part_headers() -> None:
    logo = Attachment(b"png", "image/png", "logo.png", "<logo@example>")
    nameless = Attachment(b"gif", "image/gif", None, "spacer")
    parsed = roundtrip(body=HTML, is_html=True, attachments=(logo, nameless))
    _, _, png, gif = leaves(parsed)
    assert png["Content-ID"] == "<logo@example>"
    assert png.get_content_disposition() == "inline"
    assert png.get_filename() == "logo.png"
    assert gif["Content-ID"] == "<spacer>"
    assert gif.get_content_disposition() == "inline"
    assert gif.get_filename() is None


def test_inline_part_of_a_plain_message_is_an_attachment_with_its_content_id() -> None:
    _, png = leaves(roundtrip(body="see logo", attachments=(LOGO,)))
    assert png.get_content_disposition() == "attachment"
    assert png["Content-ID"] == "<logo>"
    assert png.get_content() == LOGO.data


def test_attachment_headers_and_bytes() -> None:
    data = bytes(range(256)) * 3
    att = Attachment(data, "application/x-custom; version=2", "all-bytes.bin")
    composed = compose(make(attachments=(att,)))
    _, part = leaves(parse(composed.data))
    assert part.get_content_type() == "application/x-custom"
    assert part.get_param("version") == "2"
    assert part["Content-Transfer-Encoding"] == "base64"
    assert part.get_content_disposition() == "attachment"
    assert part.get_filename() == "all-bytes.bin"
    assert part.get_content() == data
    body = composed.data.split(b'all-bytes.bin"\r\n\r\n')[-1]
    b64_lines = body.split(b"\r\n--")[0].split(b"\r\n")
    assert len(b64_lines) > 5
    assert all(len(line) <= 76 for line in b64_lines)
    assert all(len(line) == 76 for line in b64_lines[:-1])


def test_text_attachment_keeps_its_content_type_and_is_base64() -> None:
    att = Attachment(b"a,b\r\n1,2\r\n", "text/csv", "data.csv")
    _, part = leaves(roundtrip(attachments=(att,)))
    assert part["Content-Type"].split(";")[0] == "text/csv"
    assert part.get_param("charset") is None
    assert part["Content-Transfer-Encoding"] == "base64"
    assert part.get_payload(decode=True) == att.data


def test_large_random_attachment_round_trips() -> None:
    data = os.urandom(300_000)
    (att,) = [p for p in leaves(roundtrip(attachments=(Attachment(data, filename="r"),)))][1:]
    assert att.get_content() == data


@pytest.mark.parametrize(
    ("attachment", "field"),
    [
        (Attachment(b"x", "image/png\r\nBcc: a@b"), "Attachments[1].ContentType"),
        (Attachment(b"x", "bild/π"), "Attachments[1].ContentType"),
        (Attachment(b"x", content_id="a b"), "Attachments[1].ContentId"),
        (Attachment(b"x", content_id="a\r\nBcc: a@b"), "Attachments[1].ContentId"),
    ],
)
def test_unwritable_attachment_headers_are_refused(attachment: Attachment, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        compose(make(attachments=(PDF, attachment)))
    assert caught.value.problems[0].field == field


def test_name_parameter_given_in_the_content_type_is_kept() -> None:
    att = Attachment(b"x", 'text/plain; name="given.txt"', "other.txt")
    _, part = leaves(roundtrip(attachments=(att,)))
    assert part["Content-Type"].params == {"name": "given.txt"}
    assert part.get_filename() == "other.txt"


def test_attachment_without_filename() -> None:
    _, part = leaves(roundtrip(attachments=(Attachment(b"\x00\x01"),)))
    assert part.get_content_disposition() == "attachment"
    assert part.get_filename() is None
    assert part.get_content() == b"\x00\x01"


@pytest.mark.parametrize(
    "filename",
    [
        "résumé.pdf",
        "报告 2024.xlsx",
        "😀.png",
        'quote " and back\\slash.txt',
        "semi;colon=equals,comma.txt",
        "=?utf-8?b?YQ==?=.txt",
        "ends with backslash\\",
        "очень длинное имя файла, которое не помещается в одну строку заголовка.docx",
        "long ascii " * 20 + ".txt",
    ],
)
def test_filenames_round_trip(filename: str) -> None:
    composed = compose(make(attachments=(Attachment(b"x", filename=filename),)))
    assert composed.data.isascii()
    assert_wire_format(composed.data)
    _, part = leaves(parse(composed.data))
    assert part.get_filename() == filename
    assert part["Content-Type"].params["name"] == filename


@many
@given(filename=visible_text.filter(lambda n: n and n == n.strip()))
def test_any_filename_round_trips(filename: str) -> None:
    composed = compose(make(attachments=(Attachment(b"x", filename=filename),)))
    assert composed.data.isascii()
    assert_wire_format(composed.data)
    _, part = leaves(parse(composed.data))
    assert part["Content-Disposition"].params["filename"] == filename
    assert part["Content-Type"].params["name"] == filename
    # Message.get_filename() unquotes twice: it cannot return a name wrapped in "" or <>.
    if not re.fullmatch(r'".*"|<.*>', filename, re.S):
        assert part.get_filename() == filename


def test_boundaries_are_unique_and_well_formed() -> None:
    data = compose(make(body=HTML, is_html=True, attachments=(LOGO, PDF))).data
    boundaries = re.findall(rb'boundary="([^"]+)"', data)
    assert len(boundaries) == 3
    assert len(set(boundaries)) == 3
    for boundary in boundaries:
        assert re.fullmatch(rb"=_[0-9a-f]{32}", boundary)
        assert data.count(b"\r\n--" + boundary + b"\r\n") >= 2
        assert data.count(b"\r\n--" + boundary + b"--\r\n") == 1


def test_text_with_boundary_marker_is_quoted_printable() -> None:
    body = "--=_0123456789abcdef0123456789abcdef\r\nnot a boundary"
    composed = compose(make(body=body, attachments=(PDF,)))
    assert b"\r\n--=_0123456789abcdef" not in composed.data
    text, _ = leaves(parse(composed.data))
    assert text["Content-Transfer-Encoding"] == "quoted-printable"
    assert text.get_content() == body


# --- text bodies --------------------------------------------------------------------------


def test_ascii_text_is_7bit() -> None:
    (part,) = leaves(roundtrip(body="Hello\nworld"))
    assert part["Content-Transfer-Encoding"] == "7bit"
    assert part.get_content() == "Hello\r\nworld\r\n"


def test_non_ascii_text_is_quoted_printable() -> None:
    composed = compose(make(body="Zażółć gęślą jaźń 🚀"))
    assert composed.data.isascii()
    (part,) = leaves(parse(composed.data))
    assert part["Content-Transfer-Encoding"] == "quoted-printable"
    assert part.get_content() == "Zażółć gęślą jaźń 🚀\r\n"


def test_mixed_line_endings_become_crlf() -> None:
    text, _ = leaves(roundtrip(body="a\nb\rc\r\nd\n\ne", attachments=(PDF,)))
    assert text.get_content() == "a\r\nb\r\nc\r\nd\r\n\r\ne"


def test_lone_dot_line_round_trips_without_dot_stuffing() -> None:
    composed = compose(make(body="a\r\n.\r\nb", attachments=(PDF,)))
    assert b"\r\n..\r\n" not in composed.data
    text, _ = leaves(parse(composed.data))
    assert text.get_content() == "a\r\n.\r\nb"
    (single,) = leaves(roundtrip(body="a\r\n.\r\nb"))
    assert single.get_content() == "a\r\n.\r\nb\r\n"  # the message must end with CRLF


@pytest.mark.parametrize("is_html", [False, True])
def test_very_long_single_line_body(is_html: bool) -> None:
    body = "".join(chr(ord("a") + i % 26) for i in range(100_000))
    composed = compose(make(body=body, is_html=is_html, text_body=body, attachments=(PDF,)))
    assert_wire_format(composed.data)
    texts = [p for p in leaves(parse(composed.data)) if p.get_content_maintype() == "text"]
    assert len(texts) == (2 if is_html else 1)
    for part in texts:
        assert part["Content-Transfer-Encoding"] == "quoted-printable"
        assert part.get_content() == body
    encoded = re.findall(rb"quoted-printable\r\n\r\n(.*?)\r\n--=_", composed.data, re.S)
    assert len(encoded) == len(texts)
    for lines in encoded:
        assert max(len(line) for line in lines.split(b"\r\n")) <= 76


def test_line_of_998_stays_7bit_and_999_does_not() -> None:
    (ok,) = leaves(roundtrip(body="x" * 998))
    (long,) = leaves(roundtrip(body="x" * 999))
    assert ok["Content-Transfer-Encoding"] == "7bit"
    assert long["Content-Transfer-Encoding"] == "quoted-printable"
    assert long.get_content() == "x" * 999 + "\r\n"


def test_empty_body() -> None:
    (part,) = leaves(roundtrip(body=""))
    assert part.get_content() == ""


@many
@given(body=any_text)
def test_any_body_round_trips(body: str) -> None:
    data = compose(make(body=body, is_html=True, text_body=body)).data
    assert_wire_format(data)
    assert data.isascii()
    plain, html = leaves(parse(data))
    assert plain.get_content() == normalized(body)
    assert html.get_content() == normalized(body)
    single = compose(make(body=body)).data
    assert_wire_format(single)
    (part,) = leaves(parse(single))
    expected = normalized(body)
    assert part.get_content() == expected + ("\r\n" if expected[-2:] not in ("", "\r\n") else "")
