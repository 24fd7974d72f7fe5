"""The Send Email body → ``Email``: both Logic Apps shapes, every field rule, the bad inputs."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smtp_connector.errors import FieldProblem, InvalidInput, PayloadTooLarge
from smtp_connector.mail import request as request_module
from smtp_connector.mail.limits import Limits
from smtp_connector.mail.message import Address, Attachment, Email, Importance
from smtp_connector.mail.request import looks_like_html, parse_send_request

LIMITS = Limits()
PDF = b"%PDF-1.4 fake \x00\xff"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def parse(payload: object, **kwargs: Any) -> Email:
    kwargs.setdefault("limits", LIMITS)
    return parse_send_request(payload, **kwargs)


def problems(payload: object, **kwargs: Any) -> list[FieldProblem]:
    with pytest.raises(InvalidInput) as exc:
        parse(payload, **kwargs)
    assert type(exc.value) is InvalidInput, "expected a 400, not a 413"
    return list(exc.value.problems)


def fields(payload: object, **kwargs: Any) -> list[str]:
    return [p.field for p in problems(payload, **kwargs)]


def base(**extra: object) -> dict[str, object]:
    return {"From": "me@example.com", "To": "you@example.com", **extra}


# --- the two Logic Apps shapes -----------------------------------------------------------------

V3 = {
    "From": "Sender <sender@example.com>",
    "To": "a@example.com;b@example.com",
    "CC": "c@example.com",
    "Bcc": "d@example.com",
    "Subject": "Quarterly report",
    "Body": "<p>Hello <b>team</b></p>",
    "IsHtml": True,
    "Importance": "High",
    "ReadReceipt": "sender@example.com",
    "DeliveryReceipt": "sender@example.com",
    "Attachments": [
        {
            "ContentData": b64(PDF),
            "ContentType": "application/pdf",
            "ContentTransferEncoding": "base64",
            "FileName": "report.pdf",
        },
        {
            "ContentData": b64(PNG),
            "ContentType": "image/png",
            "ContentTransferEncoding": "base64",
            "FileName": "logo.png",
            "ContentId": "<logo>",
        },
    ],
}

BUILT_IN = {
    "from": "Sender <sender@example.com>",
    "to": "a@example.com;b@example.com",
    "cc": "c@example.com",
    "bcc": "d@example.com",
    "subject": "Quarterly report",
    "body": "<p>Hello <b>team</b></p>",
    "isHTML": True,
    "importance": "High",
    "readReceipt": "sender@example.com",
    "deliveryReceipt": "sender@example.com",
    "attachment": [
        {"fileName": "report.pdf", "contentData": b64(PDF), "contentType": "application/pdf"},
        {
            "fileName": "logo.png",
            "contentData": b64(PNG),
            "contentType": "image/png",
            "contentId": "logo",
        },
    ],
}

EXPECTED = Email(
    sender=Address("sender@example.com", "Sender"),
    to=(Address("a@example.com"), Address("b@example.com")),
    cc=(Address("c@example.com"),),
    bcc=(Address("d@example.com"),),
    subject="Quarterly report",
    body="<p>Hello <b>team</b></p>",
    is_html=True,
    importance=Importance.HIGH,
    read_receipt=Address("sender@example.com"),
    delivery_receipt=Address("sender@example.com"),
    attachments=(
        Attachment(PDF, "application/pdf", "report.pdf"),
        Attachment(PNG, "image/png", "logo.png", "logo"),
    ),
)


def test_v3_body_gives_the_expected_email() -> None:
    assert parse(V3) == EXPECTED


def test_built_in_camel_case_body_with_singular_attachment_gives_the_same_email() -> None:
    assert parse(BUILT_IN) == parse(V3) == EXPECTED


def test_keys_are_case_insensitive() -> None:
    mixed = {"fRoM": V3["From"], "TO": V3["To"], "cc": V3["CC"], "BCC": V3["Bcc"]}
    mixed |= {"SUBJECT": V3["Subject"], "body": V3["Body"], "ISHTML": True, "importance": "HIGH"}
    mixed |= {"READRECEIPT": V3["ReadReceipt"], "deliveryreceipt": V3["DeliveryReceipt"]}
    mixed |= {"ATTACHMENTS": V3["Attachments"]}
    assert parse(mixed) == EXPECTED


def test_extensions_reply_to_text_body_and_headers() -> None:
    email = parse(
        base(
            ReplyTo="Support <help@example.com>, ops@example.com",
            Body="<p>Hi</p>",
            TextBody="Hi",
            Headers={"X-Campaign": "  spring ", "List-Unsubscribe": "<mailto:u@example.com>"},
        )
    )
    assert email.reply_to == (Address("help@example.com", "Support"), Address("ops@example.com"))
    assert email.text_body == "Hi"
    assert email.headers == (
        ("X-Campaign", "spring"),
        ("List-Unsubscribe", "<mailto:u@example.com>"),
    )


def test_nulls_and_empty_optional_strings_count_as_absent() -> None:
    email = parse(
        base(
            CC=None,
            Bcc="",
            Subject=None,
            Body=None,
            IsHtml="",
            Importance="",
            ReadReceipt="",
            DeliveryReceipt=None,
            Attachments=None,
            Headers=None,
            ReplyTo=None,
        )
    )
    assert email == Email(Address("me@example.com"), to=(Address("you@example.com"),))


# --- structure and types -----------------------------------------------------------------------


@pytest.mark.parametrize("payload", [None, [], "To: a@example.com", 3, True])
def test_a_body_that_is_not_an_object_is_a_problem_on_body(payload: object) -> None:
    assert fields(payload) == ["body"]


def test_unknown_keys_are_named_with_a_suggestion() -> None:
    found = problems(base(Subjct="Hi", Foo=1))
    assert [p.field for p in found] == ["Subjct", "Foo"]
    assert "did you mean 'Subject'" in found[0].message


def test_a_field_given_twice_under_two_spellings_is_a_problem() -> None:
    assert fields(base(to="x@example.com")) == ["To"]
    attachment = {"ContentData": "aGk="}
    assert fields(base(attachment=[attachment], Attachments=[attachment])) == ["Attachments"]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("Subject", 3, "Subject"),
        ("Body", ["x"], "Body"),
        ("TextBody", {"a": 1}, "TextBody"),
        ("To", 5, "To"),
        ("CC", {"a": "b@example.com"}, "CC"),
        ("Bcc", ["a@example.com", 1], "Bcc"),
        ("From", ["me@example.com"], "From"),
        ("ReadReceipt", 1, "ReadReceipt"),
        ("Importance", 1, "Importance"),
        ("Attachments", {"ContentData": "x"}, "Attachments"),
        ("Attachments", ["x"], "Attachments[0]"),
        ("Headers", ["X-A: b"], "Headers"),
        ("Headers", {"X-A": 1}, "Headers.X-A"),
    ],
)
def test_wrong_json_types_are_field_problems(key: str, value: object, expected: str) -> None:
    assert fields(base(**{key: value})) == [expected]


def test_all_problems_are_collected_in_field_order() -> None:
    found = fields(
        {"Headers": {"Bcc": "x@evil.test"}, "Subject": "a\nb", "Importance": "Urgent", "To": "x"}
    )
    assert found == ["From", "To", "Subject", "Importance", "Headers.Bcc"]


# --- From and receipts -------------------------------------------------------------------------


def test_from_is_required_without_a_default() -> None:
    assert fields({"To": "a@example.com"}) == ["From"]


def test_default_from_is_used_only_when_from_is_absent() -> None:
    email = parse({"To": "a@example.com"}, default_from="Robot <robot@example.com>")
    assert email.sender == Address("robot@example.com", "Robot")
    email = parse(base(), default_from="robot@example.com")
    assert email.sender == Address("me@example.com")


@pytest.mark.parametrize("name", ["From", "ReadReceipt", "DeliveryReceipt"])
def test_single_address_fields_take_exactly_one_address(name: str) -> None:
    found = problems(base(**{name: "a@example.com; b@example.com"}))
    assert [p.field for p in found] == [name]
    assert "exactly one address" in found[0].message


# --- the bad inputs of REFERENCE section 5 -----------------------------------------------------


@pytest.mark.parametrize("separator", ["\r\n", "\n", "\r", "\u2028", "\u2029", "\u0085", "\x00"])
def test_1_subject_header_injection(separator: str) -> None:
    assert fields(base(Subject=f"Hello{separator}Bcc: x@evil.test")) == ["Subject"]


def test_1_subject_allows_tab_and_unicode_and_has_a_cap() -> None:
    assert parse(base(Subject="Résumé\tfür 日本")).subject == "Résumé\tfür 日本"
    assert parse(base(Subject="x" * 2000)).subject == "x" * 2000
    assert fields(base(Subject="x" * 2001)) == ["Subject"]


def test_2_recipient_with_smtp_command_injection() -> None:
    assert fields(base(To="a@example.com\r\nRCPT TO:<victim@evil.test>")) == ["To"]


def test_3_empty_items_are_skipped() -> None:
    email = parse(base(To="a@example.com;;b@example.com; ;"))
    assert [a.addr_spec for a in email.to] == ["a@example.com", "b@example.com"]


def test_4_commas_separate_addresses() -> None:
    email = parse(base(To="a@example.com, b@example.com,c@example.com"))
    assert [a.addr_spec for a in email.to] == ["a@example.com", "b@example.com", "c@example.com"]


@pytest.mark.parametrize(
    "to", ["alice@example.org)<bob@example.org>", "alice@example.org@<bob@example.org>"]
)
def test_5_smuggled_second_address(to: str) -> None:
    assert fields(base(To=to)) == ["To"]


@pytest.mark.parametrize("key", ["To", "CC", "Bcc", "From", "ReplyTo"])
def test_6_leading_dash(key: str) -> None:
    assert fields(base(**{key: "-oQ/x@example.com"})) == [key]


def test_7_more_recipients_than_the_cap_is_a_400_naming_count_and_cap() -> None:
    limits = Limits(max_recipients=3)
    payload = base(To="a@example.com;b@example.com", CC="c@example.com", Bcc="d@example.com")
    found = problems(payload, limits=limits)
    assert [p.field for p in found] == ["To"]
    assert "4 recipients" in found[0].message and "at most 3" in found[0].message


def test_7_the_cap_counts_after_de_duplication() -> None:
    limits = Limits(max_recipients=3)
    payload = base(To="a@example.com;b@example.com", CC="A@EXAMPLE.COM", Bcc="c@example.com")
    assert len(parse(payload, limits=limits).recipients) == 3


def test_7_far_too_many_addresses_are_refused_before_parsing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def boom(*args: object, **kwargs: object) -> Address:
        raise AssertionError("an address was parsed")

    monkeypatch.setattr(request_module, "parse_address", boom)
    limits = Limits(max_recipients=3)
    with pytest.raises(InvalidInput) as exc:
        parse(base(To=";".join(f"u{i}@example.com" for i in range(7))), limits=limits)
    assert "7 recipients" in exc.value.problems[0].message
    with pytest.raises(InvalidInput) as exc:
        parse(base(To=" " * 10_000_000), limits=limits)
    assert type(exc.value) is InvalidInput
    assert exc.value.problems[0].field == "To"


def test_8_same_address_in_to_and_bcc_in_another_case_is_sent_once() -> None:
    email = parse(base(To="Alice@Example.com", CC="bob@example.com", Bcc="alice@EXAMPLE.com"))
    assert [a.addr_spec for a in email.recipients] == ["Alice@example.com", "bob@example.com"]
    assert email.bcc == ()


def test_8_repeats_inside_one_list() -> None:
    email = parse(base(To="a@example.com; A@example.com, a@EXAMPLE.com"))
    assert email.to == (Address("a@example.com"),)


def test_at_least_one_recipient() -> None:
    found = problems({"From": "me@example.com", "To": " ; ", "CC": None})
    assert [p.field for p in found] == ["To"]
    assert "at least one recipient" in found[0].message.lower()
    assert parse({"From": "me@example.com", "Bcc": "x@example.com"}).bcc == (
        Address("x@example.com"),
    )


def test_9_overlong_local_part_and_domain() -> None:
    assert fields(base(To="x" * 65 + "@example.com")) == ["To"]
    assert fields(base(To="x@" + ".".join(["d" * 60] * 5) + ".com")) == ["To"]


def test_10_from_with_header_injection() -> None:
    assert fields(base(From="me@example.com\r\nSender: x@evil.test")) == ["From"]


@pytest.mark.parametrize("importance", ["Urgent", "High\r\nX-Evil: 1", "high ", 1, True])
def test_13_bad_importance(importance: object) -> None:
    assert fields(base(Importance=importance)) == ["Importance"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [("High", Importance.HIGH), ("normal", Importance.NORMAL), ("LOW", Importance.LOW)],
)
def test_13_importance_any_case(given: str, expected: Importance) -> None:
    assert parse(base(Importance=given)).importance is expected


@pytest.mark.parametrize("is_html", ["yes", 2, 1, 0, "1", [], {}])
def test_13_bad_is_html(is_html: object) -> None:
    assert fields(base(IsHtml=is_html)) == ["IsHtml"]


@pytest.mark.parametrize(
    ("is_html", "expected"),
    [(True, True), (False, False), ("true", True), ("FALSE", False), (" True ", True)],
)
def test_13_is_html_booleans_and_strings(is_html: object, expected: bool) -> None:
    assert parse(base(IsHtml=is_html, Body="<p>x</p>")).is_html is expected


# Items 14-18 (attachments) are in test_attachments.py.


# --- bodies ------------------------------------------------------------------------------------


def test_body_keeps_every_newline_and_dots_but_refuses_nul() -> None:
    assert parse(base(Body="a\r\n.\r\nb\n\rc")).body == "a\r\n.\r\nb\n\rc"
    assert fields(base(Body="a\x00b")) == ["Body"]
    assert fields(base(TextBody="a\x00b")) == ["TextBody"]
    assert fields(base(Body="lone \ud800 surrogate")) == ["Body"]


@pytest.mark.parametrize(
    "body",
    [
        "<html><body>x</body></html>",
        "<!DOCTYPE html>\n<title>x</title>",
        "Hello<br>world",
        "Hello<br/>world",
        "<p>Para",
        '<div class="x">y',
        "<table><tr><td>1",
        '<span style="color:red">x',
        '<a href="https://example.com">x',
        "<b>bold",
        "<strong>x",
        '<img src="cid:logo">',
        "<h1>Title",
        "<h6>Title",
        "<ul><li>x",
        "<ol>",
        "text then a </custom> closing tag",
    ],
)
def test_html_is_sniffed_when_is_html_is_absent(body: str) -> None:
    assert looks_like_html(body)
    assert parse(base(Body=body)).is_html


@pytest.mark.parametrize(
    "body",
    [
        "a < b and c > d",
        "if a<b and b>c then",
        "Write to <user@example.com>",
        "See <https://example.com/x>",
        "Price <= 5 and >= 2",
        "1 <2> 3",
        "<<<>>>",
        "plain text",
        "",
    ],
)
def test_plain_text_is_not_sniffed_as_html(body: str) -> None:
    assert not looks_like_html(body)
    assert not parse(base(Body=body)).is_html


def test_explicit_is_html_false_wins_over_the_sniff() -> None:
    assert not parse(base(Body="<p>x</p>", IsHtml=False)).is_html


# --- custom headers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "From", "to", "CC", "bcc", "Subject", "Date", "Message-ID", "MIME-Version",
        "Content-Type", "content-transfer-encoding", "Sender", "Reply-To", "Return-Path",
        "Received", "Importance", "X-Priority", "X-MSMail-Priority",
        "Disposition-Notification-To", "Return-Receipt-To", "DKIM-Signature",
    ],
)  # fmt: skip
def test_headers_that_we_set_or_that_route_mail_are_refused(name: str) -> None:
    assert fields(base(Headers={name: "x"})) == [f"Headers.{name}"]


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Bad Name": "x"},
        {"X:Colon": "x"},
        {"": "x"},
        {"X-Ünicode": "x"},
        {"X-Ok": "a\r\nBcc: x@evil.test"},
        {"X-Ok": "a\nb"},
        {"X-Ok": "x" * 999},
    ],
)
def test_bad_header_names_and_values(headers: dict[str, str]) -> None:
    assert len(fields(base(Headers=headers))) == 1


def test_header_value_may_be_998_characters_and_hold_a_tab() -> None:
    assert parse(base(Headers={"X-Long": "x" * 998})).headers == (("X-Long", "x" * 998),)
    assert parse(base(Headers={"X-Tab": "a\tb"})).headers == (("X-Tab", "a\tb"),)


def test_at_most_50_headers() -> None:
    assert len(parse(base(Headers={f"X-H{i}": "v" for i in range(50)})).headers) == 50
    assert fields(base(Headers={f"X-H{i}": "v" for i in range(51)})) == ["Headers"]


def test_header_path_with_control_characters_is_made_printable() -> None:
    (found,) = fields(base(Headers={"X-A\r\nB": "x"}))
    assert "\r" not in found and "\n" not in found


def test_reply_to_repeats_are_dropped() -> None:
    email = parse(base(ReplyTo="r@example.com; R@EXAMPLE.com, s@example.com"))
    assert email.reply_to == (Address("r@example.com"), Address("s@example.com"))


def test_reply_to_is_capped() -> None:
    assert len(parse(base(ReplyTo=";".join(f"r{i}@example.com" for i in range(10)))).reply_to)
    assert fields(base(ReplyTo=";".join(f"r{i}@example.com" for i in range(11)))) == ["ReplyTo"]


# --- properties --------------------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
_KEYS = [
    "From", "To", "CC", "Bcc", "Subject", "Body", "IsHtml", "Importance", "ReadReceipt",
    "DeliveryReceipt", "Attachments", "attachment", "ReplyTo", "TextBody", "Headers", "isHTML",
]  # fmt: skip
_ATTACHMENT_KEYS = [
    "ContentData",
    "ContentType",
    "ContentTransferEncoding",
    "FileName",
    "ContentId",
]
_attachment = st.dictionaries(
    st.sampled_from(_ATTACHMENT_KEYS), st.one_of(_json, st.sampled_from(["aGk=", "base64", "none"]))
)
_value = st.one_of(
    _json,
    st.sampled_from(["a@example.com", "A <a@example.com>; b@example.com", "High", "true", "<p>"]),
    st.lists(_attachment, max_size=3),
)
_payloads = st.one_of(_json, st.dictionaries(st.sampled_from(_KEYS), _value, max_size=10))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_payloads, st.sampled_from([None, "robot@example.com"]))
def test_arbitrary_json_only_ever_raises_invalid_input(payload: object, sender: str | None) -> None:
    limits = Limits(max_recipients=5, max_attachments=2, max_attachment_bytes=100)
    try:
        email = parse_send_request(payload, limits=limits, default_from=sender)
    except InvalidInput as exc:
        assert exc.problems
        assert all(isinstance(p, FieldProblem) and p.field for p in exc.problems)
    else:
        assert email.recipients and len(email.recipients) <= 5


def test_limits_are_checked_quickly_on_a_huge_list() -> None:
    started = time.perf_counter()
    with pytest.raises(InvalidInput):
        parse(base(To="a@example.com;" * 1_000_000))
    assert time.perf_counter() - started < 2
    with pytest.raises(PayloadTooLarge):
        parse(base(Attachments=[{"ContentData": "A" * 40_000_000}]))
