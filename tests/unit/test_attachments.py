"""Attachments of a Send Email body: decoding rules, names, types, ids, count and size limits."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest

from smtp_connector.errors import FieldProblem, InvalidInput, PayloadTooLarge
from smtp_connector.mail import content_data as content_data_module
from smtp_connector.mail.attachments import estimate_size, parse_attachments
from smtp_connector.mail.fields import read_fields
from smtp_connector.mail.limits import Limits
from smtp_connector.mail.message import Attachment
from smtp_connector.mail.request import parse_send_request

LIMITS = Limits()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def send(*items: object, limits: Limits = LIMITS, **extra: Any) -> tuple[Attachment, ...]:
    payload = {"From": "me@example.com", "To": "you@example.com", "Attachments": list(items)}
    return parse_send_request(payload | extra, limits=limits).attachments


def one(**item: object) -> Attachment:
    (attachment,) = send(item)
    return attachment


def problems(*items: object, limits: Limits = LIMITS) -> list[FieldProblem]:
    with pytest.raises(InvalidInput) as exc:
        send(*items, limits=limits)
    assert type(exc.value) is InvalidInput, "expected a 400, not a 413"
    return list(exc.value.problems)


def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any base64 decoding fail the test."""

    def boom(*args: object) -> bytes:
        raise AssertionError("an attachment was decoded")

    monkeypatch.setattr(content_data_module, "_strict_base64", boom)


# --- ContentTransferEncoding -------------------------------------------------------------------


def test_base64_is_decoded_strictly_after_removing_whitespace() -> None:
    data = bytes(range(256)) * 3
    wrapped = "\r\n".join(b64(data)[i : i + 76] for i in range(0, len(b64(data)), 76))
    for encoding in ("base64", "BASE64", " Base64 "):
        assert one(ContentData=wrapped, ContentTransferEncoding=encoding).data == data
    assert one(ContentData=" aGk= \t", ContentTransferEncoding="base64").data == b"hi"


@pytest.mark.parametrize("content", ["not base64!!", "aGk", "aGk=aGk=", "=aGk", "aGé=", "aG\x00k="])
def test_16_invalid_base64_is_a_problem_naming_the_attachment(content: str) -> None:
    item = {"ContentData": content, "ContentTransferEncoding": "base64", "FileName": "report.pdf"}
    (found,) = problems(item)
    assert found.field == "Attachments[0].ContentData"
    assert found.message == "ContentData of the attachment 'report.pdf' is not valid base64."


def test_16_invalid_base64_without_a_name_uses_the_index() -> None:
    ok = {"ContentData": "aGk=", "ContentTransferEncoding": "base64"}
    (found,) = problems(ok, {"ContentData": "%%%%", "ContentTransferEncoding": "base64"})
    assert found.field == "Attachments[1].ContentData"
    assert "Attachments[1]" in found.message


def test_encoding_none_takes_the_text_as_utf8() -> None:
    assert one(ContentData="aGk=", ContentTransferEncoding="none").data == b"aGk="
    assert one(ContentData="Grüße\r\n", ContentTransferEncoding="None").data == "Grüße\r\n".encode()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b64(b"%PDF-1.7 binary \x00\xff"), b"%PDF-1.7 binary \x00\xff"),
        ("aGVs\r\nbG8=", b"hello"),  # MIME-wrapped base64
        ("Test", base64.b64decode("Test")),  # documented: short words are valid base64
        ("hello world", b"hello world"),  # a space: text
        ("good dogs", b"good dogs"),  # 8 letters once spaces go, still text
        ("Hello!", b"Hello!"),
        ("abc", b"abc"),  # not a multiple of 4
        ("name,value\n1,2\n", b"name,value\n1,2\n"),
        ("Grüße", "Grüße".encode()),
        ("", b""),
        ("\r\n", b"\r\n"),
    ],
)
def test_absent_encoding_decodes_valid_base64_else_takes_text(
    content: str, expected: bytes
) -> None:
    assert one(ContentData=content).data == expected
    assert one(ContentData=content, ContentTransferEncoding="").data == expected


@pytest.mark.parametrize("encoding", ["7bit", "quoted-printable", "binary", 64, True])
def test_other_encodings_are_problems(encoding: object) -> None:
    (found,) = problems({"ContentData": "aGk=", "ContentTransferEncoding": encoding})
    assert found.field == "Attachments[0].ContentTransferEncoding"


@pytest.mark.parametrize("content", [None, 5, ["aGk="], {"a": 1}])
def test_content_data_is_a_required_string(content: object) -> None:
    item = {"FileName": "a.txt"} if content is None else {"ContentData": content}
    (found,) = problems(item)
    assert found.field == "Attachments[0].ContentData"


def test_lone_surrogates_in_text_content_are_a_problem() -> None:
    (found,) = problems({"ContentData": "x\ud800y", "ContentTransferEncoding": "none"})
    assert found.field == "Attachments[0].ContentData"


# --- FileName ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\evil.dll", "evil.dll"),
        ("C:\\Users\\me\\report.pdf", "report.pdf"),
        ("/abs/path/a b.txt", "a b.txt"),
        ("  spaced.txt  ", "spaced.txt"),
        ("Grüße.pdf", "Grüße.pdf"),
    ],
)
def test_14_file_name_keeps_the_base_name_only(name: str, expected: str) -> None:
    assert one(ContentData="aGk=", FileName=name).filename == expected


@pytest.mark.parametrize("name", ["dir/", "..", "a/..", ".\\.", "x" * 256])
def test_file_names_that_are_left_empty_or_dots_or_too_long(name: str) -> None:
    (found,) = problems({"ContentData": "aGk=", "FileName": name})
    assert found.field == "Attachments[0].FileName"


def test_empty_file_name_counts_as_absent() -> None:
    assert one(ContentData="aGk=", FileName="").filename is None


# --- 15: CR/LF in FileName, ContentType, ContentId ---------------------------------------------


@pytest.mark.parametrize("key", ["FileName", "ContentType", "ContentId"])
@pytest.mark.parametrize("bad", ["\r\n", "\n", "\r", "\x00", "\u2028", "\x85"])
def test_15_line_breaks_and_controls_are_problems(key: str, bad: str) -> None:
    value = {"FileName": "a.txt", "ContentType": "text/plain", "ContentId": "logo"}[key]
    (found,) = problems({"ContentData": "aGk=", key: f"{value}{bad}X-Evil: 1"})
    assert found.field == f"Attachments[0].{key}"
    assert "X-Evil" not in found.message


# --- ContentType and ContentId -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "application/pdf"),
        ("photo.PNG", "image/png"),
        ("notes.txt", "text/plain"),
        ("archive.tar.gz", "application/octet-stream"),
        ("no-extension", "application/octet-stream"),
        (None, "application/octet-stream"),
    ],
)
def test_content_type_defaults_from_the_file_name(name: str | None, expected: str) -> None:
    item: dict[str, object] = {"ContentData": "aGk="}
    if name is not None:
        item["FileName"] = name
    assert one(**item).content_type == expected


@pytest.mark.parametrize(
    "content_type",
    [
        "application/pdf",
        "text/plain; charset=utf-8",
        'text/plain; charset="utf-8"; format=flowed',
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "text/csv;",
    ],
)
def test_valid_content_types_are_kept(content_type: str) -> None:
    assert one(ContentData="aGk=", ContentType=content_type).content_type == content_type


@pytest.mark.parametrize(
    "content_type",
    ["pdf", "application/", "/pdf", "text/plain; charset", "text /plain", "a/b; c=d e",
     "text/plain; name=\"é\"", "multipart/mixed; boundary=x", "a/b" + "; p=v" * 200],
)  # fmt: skip
def test_invalid_content_types_are_problems(content_type: str) -> None:
    (found,) = problems({"ContentData": "aGk=", "ContentType": content_type})
    assert found.field == "Attachments[0].ContentType"


@pytest.mark.parametrize(
    ("content_id", "expected"),
    [("<logo>", "logo"), ("logo", "logo"), (" <img1@example.com> ", "img1@example.com")],
)
def test_content_id_loses_its_angle_brackets(content_id: str, expected: str) -> None:
    attachment = one(ContentData="aGk=", ContentId=content_id)
    assert attachment.content_id == expected and attachment.is_inline


@pytest.mark.parametrize("content_id", ["a b", "<>", "<<x>>", "x>", 'a"b', "é", "x" * 251])
def test_invalid_content_ids_are_problems(content_id: str) -> None:
    (found,) = problems({"ContentData": "aGk=", "ContentId": content_id})
    assert found.field == "Attachments[0].ContentId"


@pytest.mark.parametrize(
    ("first", "second"), [("logo", "logo"), ("<Logo>", "logo"), ("a@x", "<A@X>")]
)
def test_two_attachments_cannot_share_a_content_id(first: str, second: str) -> None:
    found = problems(
        {"ContentData": "aGk=", "FileName": "a.png", "ContentId": first},
        {"ContentData": "aGk=", "FileName": "b.png", "ContentId": "other"},
        {"ContentData": "aGk=", "FileName": "c.png", "ContentId": second},
    )
    assert [p.field for p in found] == ["Attachments[2].ContentId"]
    assert "Attachments[0]" in found[0].message


def test_distinct_content_ids_and_attachments_without_one_are_fine() -> None:
    kept = send(
        {"ContentData": "aGk=", "ContentId": "logo"},
        {"ContentData": "aGk=", "ContentId": "logo2"},
        {"ContentData": "aGk="},
        {"ContentData": "aGk="},
    )
    assert [a.content_id for a in kept] == ["logo", "logo2", None, None]


FORMAT_CHARACTERS = [
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",  # embeddings and overrides
    "\u2066", "\u2067", "\u2068", "\u2069",  # isolates
    "\u200e", "\u200f", "\u061c", "\u200b", "\u200d", "\ufeff", "\u00ad", "\U000e0041",
]  # fmt: skip


@pytest.mark.parametrize("char", FORMAT_CHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
def test_file_names_with_format_characters_are_refused(char: str) -> None:
    name = f"invoice{char}fdp.exe"
    (found,) = problems({"ContentData": "aGk=", "FileName": name}, {"ContentData": "aGk="})
    assert found.field == "Attachments[0].FileName"
    assert f"U+{ord(char):04X}" in found.message
    (found,) = problems(
        {"ContentData": "aGk="}, {"ContentData": "aGk=", "FileName": f"dir{char}/a"}
    )
    assert found.field == "Attachments[1].FileName"


@pytest.mark.parametrize("name", ["Zażółć.pdf", "報告.pdf", "a\u00a0b.txt", "🚀.png", "ا.txt"])
def test_file_names_with_other_unicode_are_kept(name: str) -> None:
    assert one(ContentData="aGk=", FileName=name).filename == name


def test_unknown_attachment_keys_and_case_insensitive_keys() -> None:
    assert one(contentdata="aGk=", FILENAME="a.txt").filename == "a.txt"
    found = problems({"ContentData": "aGk=", "Filename": "a", "ContentBytes": "x"})
    assert [p.field for p in found] == ["Attachments[0].ContentBytes"]
    found = problems({"ContentData": "aGk=", "contentData": "aGk="})
    assert [p.field for p in found] == ["Attachments[0].ContentData"]


def test_every_attachment_problem_is_reported() -> None:
    found = problems(
        {"ContentData": "!!", "ContentTransferEncoding": "base64", "FileName": ".."},
        {"ContentData": "aGk=", "ContentType": "nope"},
    )
    assert [p.field for p in found] == [
        "Attachments[0].FileName",
        "Attachments[0].ContentData",
        "Attachments[1].ContentType",
    ]


# --- 17 and 18: sizes and counts, before decoding ----------------------------------------------


def test_17_an_attachment_over_the_per_file_cap_is_413_before_decoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    no_decoding(monkeypatch)
    limits = Limits(max_attachment_bytes=1000)
    item = {"ContentData": "A" * 1400, "FileName": "big.bin", "ContentTransferEncoding": "base64"}
    with pytest.raises(PayloadTooLarge) as exc:
        send({"ContentData": "aGk="}, item, limits=limits)
    (found,) = exc.value.problems
    assert found.field == "Attachments[1].ContentData"
    assert "'big.bin'" in found.message and "1,000" in found.message


def test_17_the_per_file_cap_holds_exactly() -> None:
    limits = Limits(max_attachment_bytes=999)
    assert len(one_with(limits, b64(b"x" * 999)).data) == 999
    with pytest.raises(PayloadTooLarge):
        one_with(limits, b64(b"x" * 1002))


def one_with(limits: Limits, content: str) -> Attachment:
    (attachment,) = send({"ContentData": content}, limits=limits)
    return attachment


def test_17_text_that_grows_in_utf8_is_checked_after_encoding() -> None:
    limits = Limits(max_attachment_bytes=100)
    item = {"ContentData": "日" * 40, "ContentTransferEncoding": "none"}  # 120 octets
    with pytest.raises(PayloadTooLarge):
        send(item, limits=limits)


def test_17_the_total_is_checked_again_after_decoding() -> None:
    limits = Limits(max_attachment_bytes=1000, max_message_bytes=500)
    item = {"ContentData": "日" * 200, "ContentTransferEncoding": "none"}  # estimated 150, 600
    with pytest.raises(PayloadTooLarge) as exc:
        send(item, limits=limits)
    assert "600" in exc.value.problems[0].message


def test_17_a_message_over_the_total_cap_is_413_before_decoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    no_decoding(monkeypatch)
    limits = Limits(max_attachment_bytes=1000, max_message_bytes=2000)
    item = {"ContentData": "A" * 1200}
    with pytest.raises(PayloadTooLarge) as exc:
        send(item, item, item, limits=limits)
    assert exc.value.problems[0].field == "Attachments"


def test_17_the_bodies_count_toward_the_total() -> None:
    limits = Limits(max_attachment_bytes=1000, max_message_bytes=1000)
    with pytest.raises(PayloadTooLarge):
        send({"ContentData": b64(b"x" * 600)}, limits=limits, Body="y" * 500)
    assert send({"ContentData": b64(b"x" * 600)}, limits=limits, Body="y" * 300)


def test_18_ten_thousand_tiny_attachments_are_a_fast_400_without_decoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    no_decoding(monkeypatch)
    items = [{"ContentData": "aGk=", "FileName": f"f{i}.txt"} for i in range(10_000)]
    started = time.perf_counter()
    (found,) = problems(*items)
    assert time.perf_counter() - started < 0.5
    assert found.field == "Attachments"
    assert "10000 attachments" in found.message and "250" in found.message


def test_the_count_cap_holds_exactly() -> None:
    limits = Limits(max_attachments=3)
    assert len(send(*[{"ContentData": "aGk="}] * 3, limits=limits)) == 3
    assert [p.field for p in problems(*[{"ContentData": "aGk="}] * 4, limits=limits)] == [
        "Attachments"
    ]


# --- helpers -----------------------------------------------------------------------------------


def test_estimate_size_is_three_quarters_of_the_length() -> None:
    assert estimate_size("A" * 400) == 300
    assert estimate_size("") == 0


def test_parse_attachments_of_nothing_and_of_a_non_list() -> None:
    found: list[FieldProblem] = []
    assert parse_attachments(None, limits=LIMITS, body_bytes=0, problems=found) == ()
    assert parse_attachments("x", limits=LIMITS, body_bytes=0, problems=found) == ()
    assert [p.field for p in found] == ["Attachments"]


def test_read_fields_reports_unknown_and_repeated_keys() -> None:
    found: list[FieldProblem] = []
    names = {"filename": "FileName"}
    result = read_fields({"FILENAME": 1, "fileName": 2, "Other": 3}, names, "X.", found)
    assert result == {"FileName": 1}
    assert [p.field for p in found] == ["X.FileName", "X.Other"]
