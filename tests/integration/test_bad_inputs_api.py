"""REFERENCE section 5, items 1-19, through the HTTP API: a clear error, and nothing sent."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.api import SEED, add_connection, send
from support.smtp_server import SmtpTestServer

LINE_BREAKS = ["\r\n", "\n", "\r", "\u2028", "\u0085", "\x00"]


@pytest.fixture
def mail(client: TestClient, smtp_server: SmtpTestServer) -> SmtpTestServer:
    add_connection(client, smtp_server, allowedSenders=["@example.com"])
    return smtp_server


def _nothing_sent(server: SmtpTestServer) -> None:
    assert server.messages == []
    assert "MAIL" not in server.verbs() and "RCPT" not in server.verbs()


def _problem(response: Any, status: int, field: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    fields = [e["field"] for e in problem.get("errors", [])]
    assert any(f == field or f.startswith(field) for f in fields), problem
    assert "Traceback" not in response.text
    return problem


@pytest.mark.parametrize("brk", LINE_BREAKS)
def test_1_subject_header_injection(client: TestClient, mail: SmtpTestServer, brk: str) -> None:
    response = send(client, {**SEED, "Subject": f"Hello{brk}Bcc: x@evil.test"})
    _problem(response, 400, "Subject")
    _nothing_sent(mail)


def test_2_recipient_smtp_injection(client: TestClient, mail: SmtpTestServer) -> None:
    response = send(client, {**SEED, "To": "a@example.com\r\nRCPT TO:<victim@evil.test>"})
    _problem(response, 400, "To")
    _nothing_sent(mail)


def test_3_empty_list_items_are_skipped(client: TestClient, mail: SmtpTestServer) -> None:
    response = send(client, {**SEED, "To": "a@example.com;;b@example.com; ;"})
    assert response.status_code == 200
    assert mail.messages[0].rcpt_tos == ("a@example.com", "b@example.com")


def test_4_commas_separate_and_quoted_names_stay_whole(
    client: TestClient, mail: SmtpTestServer
) -> None:
    to = 'a@example.com, b@example.com; "Doe; John" <j@example.com>, "Roe, Jane" <r@example.com>'
    assert send(client, {**SEED, "To": to}).status_code == 200
    assert mail.messages[0].rcpt_tos == (
        "a@example.com",
        "b@example.com",
        "j@example.com",
        "r@example.com",
    )


@pytest.mark.parametrize(
    "to",
    [
        "alice@example.org)<bob@example.org>",
        "alice@example.org@<bob@example.org>",
        "-oQ/x@example.com",
        "a" * 65 + "@example.com",
        "a@" + ("b" * 60 + ".") * 5 + "com",
    ],
)
def test_5_6_9_malformed_addresses(client: TestClient, mail: SmtpTestServer, to: str) -> None:
    _problem(send(client, {**SEED, "To": to}), 400, "To")
    _nothing_sent(mail)


def test_7_too_many_recipients(client: TestClient, mail: SmtpTestServer) -> None:
    to = ";".join(f"r{i}@example.com" for i in range(400))
    cc = ";".join(f"c{i}@example.com" for i in range(101))
    problem = _problem(send(client, {**SEED, "To": to, "CC": cc}), 400, "To")
    assert "500" in json.dumps(problem)
    _nothing_sent(mail)


def test_8_same_address_twice_is_one_rcpt(client: TestClient, mail: SmtpTestServer) -> None:
    payload = {**SEED, "To": "x@example.com;X@EXAMPLE.com", "CC": "x@Example.COM"}
    assert send(client, payload).status_code == 200
    assert mail.messages[0].rcpt_tos == ("x@example.com",)


def test_10_from_injection_and_sender_allow_list(client: TestClient, mail: SmtpTestServer) -> None:
    _problem(send(client, {**SEED, "From": "me@example.com\r\nSender: x@evil.test"}), 400, "From")
    foreign = send(client, {**SEED, "From": "me@elsewhere.test"})
    assert foreign.status_code == 403
    _nothing_sent(mail)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("Importance", "High\r\nX-Evil: 1"),
        ("Importance", "Urgent"),
        ("IsHtml", "yes"),
        ("IsHtml", 2),
    ],
)
def test_13_importance_and_is_html(
    client: TestClient, mail: SmtpTestServer, field: str, value: object
) -> None:
    _problem(send(client, {**SEED, field: value}), 400, field)
    _nothing_sent(mail)


@pytest.mark.parametrize(
    ("name", "expected"), [("../../etc/passwd", "passwd"), ("..\\..\\evil.dll", "evil.dll")]
)
def test_14_file_names_keep_the_base_name(
    client: TestClient, mail: SmtpTestServer, name: str, expected: str
) -> None:
    attachment = {"ContentData": "aGVsbG8=", "ContentTransferEncoding": "base64", "FileName": name}
    assert send(client, {**SEED, "Attachments": [attachment]}).status_code == 200
    [part] = list(mail.messages[0].message.iter_attachments())
    assert part.get_filename() == expected


@pytest.mark.parametrize("key", ["FileName", "ContentType", "ContentId"])
def test_15_crlf_in_attachment_fields(client: TestClient, mail: SmtpTestServer, key: str) -> None:
    attachment = {
        "ContentData": "aGVsbG8=",
        "FileName": "a.txt",
        "ContentType": "text/plain",
        "ContentId": "cid1",
        key: "x\r\nX-Evil: 1",
    }
    _problem(send(client, {**SEED, "Attachments": [attachment]}), 400, f"Attachments[0].{key}")
    _nothing_sent(mail)


def test_15_a_content_id_used_twice_is_refused(client: TestClient, mail: SmtpTestServer) -> None:
    logo = {"ContentData": "aGVsbG8=", "FileName": "logo.png", "ContentId": "logo"}
    again = {**logo, "FileName": "other.png", "ContentId": "<LOGO>"}
    body = {**SEED, "Body": '<img src="cid:logo">', "Attachments": [logo, again]}
    problem = _problem(send(client, body), 400, "Attachments[1].ContentId")
    assert [e["field"] for e in problem["errors"]] == ["Attachments[1].ContentId"]
    _nothing_sent(mail)


@pytest.mark.parametrize("char", ["\u202e", "\u2067", "\u200f", "\ufeff"])
def test_15_file_names_with_bidi_or_format_characters_are_refused(
    client: TestClient, mail: SmtpTestServer, char: str
) -> None:
    attachment = {"ContentData": "aGVsbG8=", "FileName": f"invoice{char}fdp.exe"}
    problem = _problem(send(client, {**SEED, "Attachments": [attachment]}), 400, "")
    assert [e["field"] for e in problem["errors"]] == ["Attachments[0].FileName"]
    _nothing_sent(mail)


def test_16_bad_base64_names_the_attachment(client: TestClient, mail: SmtpTestServer) -> None:
    attachment = {
        "ContentData": "not base64!!",
        "ContentTransferEncoding": "base64",
        "FileName": "report.pdf",
    }
    problem = _problem(
        send(client, {**SEED, "Attachments": [attachment]}), 400, "Attachments[0].ContentData"
    )
    assert "report.pdf" in json.dumps(problem)
    _nothing_sent(mail)


def test_17_attachment_and_message_size_caps_are_413(
    client: TestClient, mail: SmtpTestServer, settings: Any
) -> None:
    big = base64.b64encode(b"\0" * (settings.max_attachment_bytes + 3)).decode()
    response = send(client, {**SEED, "Attachments": [{"ContentData": big, "FileName": "big"}]})
    assert response.status_code == 413
    four = base64.b64encode(b"\0" * (10 * 1024 * 1024)).decode()
    many = [{"ContentData": four, "FileName": f"part{i}.bin"} for i in range(4)]
    assert send(client, {**SEED, "Attachments": many}).status_code == 413
    _nothing_sent(mail)


def test_17_oversized_body_is_refused_before_it_is_read(
    client: TestClient, mail: SmtpTestServer, settings: Any
) -> None:
    declared = settings.limits.max_request_bytes + 1
    response = client.post(
        "/v1/connections/mail/send",
        content=b"{}",
        headers={"content-type": "application/json", "content-length": str(declared)},
    )
    assert response.status_code == 413
    _nothing_sent(mail)


def test_18_ten_thousand_tiny_attachments(client: TestClient, mail: SmtpTestServer) -> None:
    tiny = [{"ContentData": "YQ==", "FileName": f"{i}.txt"} for i in range(10_000)]
    started = time.monotonic()
    problem = _problem(send(client, {**SEED, "Attachments": tiny}), 400, "Attachments")
    assert "250" in json.dumps(problem)
    assert time.monotonic() - started < 10
    _nothing_sent(mail)


def test_19_deeply_nested_and_huge_bodies(client: TestClient, mail: SmtpTestServer) -> None:
    deep = client.post(
        "/v1/connections/mail/send",
        content=b"[" * 10_000 + b"]" * 10_000,
        headers={"content-type": "application/json"},
    )
    _problem(deep, 400, "body")
    nested = {**SEED, "Subject": json.loads("[" * 500 + "]" * 500)}
    assert send(client, nested).status_code == 400
    huge = b'{"Body": "' + b"x" * (200 * 1024 * 1024) + b'"}'
    started = time.monotonic()
    too_big = client.post(
        "/v1/connections/mail/send", content=huge, headers={"content-type": "application/json"}
    )
    assert too_big.status_code == 413
    assert time.monotonic() - started < 30

    def chunks() -> Iterator[bytes]:  # no Content-Length: the cap is enforced while reading
        yield b'{"Body": "'
        for _ in range(60):
            yield b"x" * (1024 * 1024)
        yield b'"}'

    streamed = client.post(
        "/v1/connections/mail/send", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    _nothing_sent(mail)


def test_19_a_body_of_too_many_values_is_refused_before_it_is_parsed(
    client: TestClient, mail: SmtpTestServer
) -> None:
    """Millions of tiny values would hold the process for seconds inside ``json.loads``."""
    many = b'{"To": [' + b"[]," * 300_000 + b'[]], "Subject": "x"}'
    problem = _problem(
        client.post(
            "/v1/connections/mail/send", content=many, headers={"content-type": "application/json"}
        ),
        413,
        "body",
    )
    assert "200,000 values" in problem["errors"][0]["message"]
    # Brackets, commas and quotes inside strings are text, not values.
    body = {**SEED, "Body": '[{"a": 1}, "b", \\"c\\"], ' * 50_000}
    assert send(client, body).status_code == 200
    assert len(mail.messages) == 1


def test_unknown_and_mistyped_fields(client: TestClient, mail: SmtpTestServer) -> None:
    _problem(send(client, {**SEED, "Subjct": "typo"}), 400, "Subjct")
    _problem(send(client, {**SEED, "To": 42}), 400, "To")
    _problem(send(client, ["not", "an", "object"]), 400, "body")
    _nothing_sent(mail)


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
_keys = st.sampled_from(
    [
        "From",
        "to",
        "CC",
        "bcc",
        "Subject",
        "Body",
        "IsHtml",
        "importance",
        "ReadReceipt",
        "Attachments",
        "attachment",
        "ReplyTo",
        "Headers",
        "TextBody",
    ]
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.dictionaries(_keys, _json, max_size=8) | _json)
def test_no_body_makes_the_api_fail_with_a_500(
    client: TestClient, mail: SmtpTestServer, body: object
) -> None:
    response = client.post("/v1/connections/mail/send", json=body)
    assert response.status_code in (200, 202, 400, 403, 413), response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"


_connection_keys = st.sampled_from(
    [
        "name",
        "server",
        "port",
        "username",
        "password",
        "security",
        "enableSsl",
        "verifyCertificate",
        "caBundle",
        "clientHostname",
        "timeoutSeconds",
        "authMechanism",
        "defaultFrom",
        "allowedSenders",
        "retryPolicy",
        "maxSessions",
        "rateLimit",
        "callLimit",
    ]
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.dictionaries(_connection_keys, _json, max_size=8))
def test_no_connection_body_makes_the_api_fail_with_a_500(client: TestClient, body: object) -> None:
    created = client.post("/v1/connections", json=body)
    assert created.status_code in (201, 400, 403, 409), created.text
    changed = client.patch("/v1/connections/fuzz", json=body)
    assert changed.status_code in (200, 400, 403, 404), changed.text
