"""Send Email over HTTP into a real in-process SMTP server; every test reads what it received."""

from __future__ import annotations

import base64
import logging
import time

import pytest
from fastapi.testclient import TestClient

from support.api import NO_RETRY, PASSWORD, SEED, USER, ServerFactory, add_connection, send
from support.certs import CertAuthority
from support.smtp_server import Faults, SmtpTestServer, credential_forms

PNG = bytes(range(256)) * 4


@pytest.fixture
def starttls_server(smtp_server_factory: ServerFactory) -> SmtpTestServer:
    return smtp_server_factory(mode="starttls", users={USER: PASSWORD}, dsn=True)


def test_seed_payload_over_starttls_with_auth(
    client: TestClient, starttls_server: SmtpTestServer
) -> None:
    add_connection(client, starttls_server)
    response = send(client, SEED)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["status"] == "sent"
    assert answer["accepted"] == ["recipient1@example.com", "recipient2@example.com"]
    assert answer["rejected"] == {}
    assert answer["response"].startswith("250")

    [received] = starttls_server.messages
    assert received.tls and received.authenticated_as == USER
    assert received.mail_from == "sender@example.com"
    assert received.rcpt_tos == ("recipient1@example.com", "recipient2@example.com")
    verbs = starttls_server.verbs()
    assert verbs.index("STARTTLS") < verbs.index("AUTH") < verbs.index("MAIL")
    msg = received.message
    assert msg["Subject"] == "New lead created"
    assert msg["Message-ID"] == answer["messageId"]
    assert msg["Date"] is not None
    assert (msg["Importance"], msg["X-Priority"], msg["X-MSMail-Priority"]) == (
        "High",
        "1 (Highest)",
        "High",
    )
    assert msg.get_content_type() == "multipart/alternative"
    html = msg.get_body(preferencelist=("html",))
    plain = msg.get_body(preferencelist=("plain",))
    assert html is not None and "<b>Jane Doe</b>" in html.get_content()
    assert plain is not None and "Jane Doe" in plain.get_content()
    assert "<b>" not in plain.get_content()


def test_builtin_camelcase_body_with_singular_attachment(
    client: TestClient, smtp_server: SmtpTestServer
) -> None:
    add_connection(client, smtp_server)
    payload = {
        "from": "Sales Team <sales@example.com>",
        "to": "buyer@example.com",
        "subject": "Your invoice",
        "body": "Please find the invoice attached.",
        "isHTML": False,
        "attachment": [
            {
                "fileName": "invoice.bin",
                "contentData": base64.b64encode(PNG).decode(),
                "contentType": "application/octet-stream",
            }
        ],
    }
    response = send(client, payload)
    assert response.status_code == 200, response.text
    msg = smtp_server.messages[0].message
    assert msg.get_content_type() == "multipart/mixed"
    assert str(msg["From"]) == "Sales Team <sales@example.com>"
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_filename() == "invoice.bin"
    assert attachment.get_content() == PNG


def test_inline_image_is_related_and_attachment_is_mixed(
    client: TestClient, smtp_server: SmtpTestServer
) -> None:
    add_connection(client, smtp_server)
    payload = {
        **SEED,
        "Body": '<p>Logo: <img src="cid:logo"></p>',
        "Attachments": [
            {
                "ContentData": base64.b64encode(PNG).decode(),
                "ContentType": "image/png",
                "ContentTransferEncoding": "base64",
                "FileName": "logo.png",
                "ContentId": "logo",
            },
            {
                "ContentData": "col1;col2\r\n1;2\r\n",
                "ContentType": "text/csv",
                "ContentTransferEncoding": "none",
                "FileName": "Übersicht März.csv",
            },
        ],
    }
    assert send(client, payload).status_code == 200
    msg = smtp_server.messages[0].message
    assert msg.get_content_type() == "multipart/mixed"
    related = msg.get_payload()[0]
    assert related.get_content_type() == "multipart/related"
    inline = related.get_payload()[1]
    assert inline["Content-ID"] == "<logo>"
    assert inline.get_content_disposition() == "inline"
    assert inline.get_payload(decode=True) == PNG
    [attached] = list(msg.iter_attachments())
    assert attached.get_content_disposition() == "attachment"
    assert attached.get_filename() == "Übersicht März.csv"
    assert attached.get_payload(decode=True) == b"col1;col2\r\n1;2\r\n"


def test_bcc_only_in_envelope_and_duplicates_sent_once(
    client: TestClient, smtp_server: SmtpTestServer
) -> None:
    add_connection(client, smtp_server)
    payload = {
        **SEED,
        "To": "a@example.com",
        "CC": "B@Example.com; c@example.com",
        "Bcc": "secret@example.com; A@EXAMPLE.COM",
    }
    answer = send(client, payload).json()
    assert answer["accepted"] == [
        "a@example.com",
        "B@example.com",
        "c@example.com",
        "secret@example.com",
    ]
    [received] = smtp_server.messages
    assert received.rcpt_tos == (
        "a@example.com",
        "B@example.com",
        "c@example.com",
        "secret@example.com",
    )
    assert "Bcc" not in received.message
    assert b"secret@example.com" not in received.data


def test_partial_acceptance_is_200_with_the_refusals(
    client: TestClient, smtp_server_factory: ServerFactory
) -> None:
    server = smtp_server_factory(
        faults=Faults(rcpt_replies={"bad@example.com": "550 5.1.1 No such user here"})
    )
    add_connection(client, server)
    payload = {**SEED, "To": "one@example.com;bad@example.com;two@example.com"}
    response = send(client, payload)
    assert response.status_code == 200
    answer = response.json()
    assert answer["accepted"] == ["one@example.com", "two@example.com"]
    assert answer["rejected"] == {
        "bad@example.com": {"code": 550, "enhancedCode": "5.1.1", "message": "No such user here"}
    }
    assert server.messages[0].rcpt_tos == ("one@example.com", "two@example.com")


def test_every_recipient_refused_permanently_is_400(
    client: TestClient, smtp_server_factory: ServerFactory
) -> None:
    server = smtp_server_factory(faults=Faults(rcpt_reply="550 5.1.1 No such user"))
    add_connection(client, server)
    response = send(client, SEED)
    assert response.status_code == 400
    problem = response.json()
    assert problem["code"] == "recipients_refused"
    assert set(problem["rejected"]) == {"recipient1@example.com", "recipient2@example.com"}
    assert problem["rejected"]["recipient1@example.com"]["code"] == 550
    assert server.messages == []


def test_transient_failure_with_retries_left_is_202_with_location(
    client: TestClient, smtp_server_factory: ServerFactory
) -> None:
    server = smtp_server_factory(faults=Faults(rcpt_reply="451 4.3.0 Try again later"))
    add_connection(client, server)
    response = send(client, SEED)
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "retrying"
    assert response.headers["location"] == f"/v1/messages/{body['id']}"
    stored = client.get(response.headers["location"]).json()
    assert stored["lastError"]["code"] == "recipients_refused"
    assert stored["nextAttemptAt"] is not None
    assert server.messages == []


@pytest.mark.parametrize("reply", ["451 4.3.0 Try again later", "452 4.5.3 Too many recipients"])
def test_transient_rcpt_refusals_without_retries_left_are_503(
    client: TestClient, smtp_server_factory: ServerFactory, reply: str
) -> None:
    server = smtp_server_factory(faults=Faults(rcpt_reply=reply))
    add_connection(client, server, retryPolicy=NO_RETRY)
    response = send(client, SEED)
    assert response.status_code == 503
    assert int(response.headers["retry-after"]) > 0
    problem = response.json()
    assert problem["retryable"] is True
    assert problem["rejected"]["recipient1@example.com"]["code"] == int(reply[:3])
    assert server.messages == []


@pytest.mark.parametrize(
    ("faults", "status", "code", "smtp_code"),
    [
        (Faults(data_end_reply="552 5.3.4 Message too big"), 502, "message_refused", 552),
        (Faults(data_end_reply="554 5.7.1 Spam detected"), 502, "message_refused", 554),
        (Faults(data_end_reply="451 4.3.0 Queue full"), 503, "message_refused", 451),
        (Faults(greeting="421 4.3.2 Service not available"), 503, None, 421),
        (Faults(drop_in_data=True), 503, "connection_dropped", None),
    ],
)
def test_server_failures_map_to_502_or_503(
    client: TestClient,
    smtp_server_factory: ServerFactory,
    faults: Faults,
    status: int,
    code: str | None,
    smtp_code: int | None,
) -> None:
    server = smtp_server_factory(faults=faults)
    add_connection(client, server, retryPolicy=NO_RETRY)
    response = send(client, SEED)
    assert response.status_code == status, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["retryable"] is (status == 503)
    if code:
        assert problem["code"] == code
    if smtp_code:
        assert problem["smtpCode"] == smtp_code
    if status == 503:
        assert "retry-after" in response.headers
    assert "Traceback" not in response.text
    assert server.messages == []


def test_auth_failure_is_502_and_the_password_is_nowhere(
    client: TestClient, smtp_server_factory: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    nasty = ("p\r\nä🔐" * 700)[:4096]
    server = smtp_server_factory(
        mode="starttls",
        users={USER: "other"},
        faults=Faults(auth_reply="535 5.7.8 Authentication failed"),
    )
    add_connection(client, server, password=nasty)
    response = send(client, SEED)
    assert response.status_code == 502
    problem = response.json()
    assert (problem["code"], problem["smtpCode"], problem["enhancedCode"]) == (
        "auth_failed",
        535,
        "5.7.8",
    )
    assert problem["retryable"] is False
    for form in credential_forms(USER, nasty):
        assert form.decode("latin-1") not in response.text
        assert form.decode("latin-1") not in caplog.text
    assert nasty not in caplog.text
    assert server.messages == []


def test_starttls_required_but_not_offered_sends_no_password(
    client: TestClient, smtp_server_factory: ServerFactory
) -> None:
    server = smtp_server_factory(users={USER: PASSWORD}, auth_require_tls=False)
    add_connection(client, server, security="starttls")
    response = send(client, SEED)
    assert response.status_code == 502
    assert response.json()["code"] == "tls_failed"
    assert "AUTH" not in server.verbs() and "MAIL" not in server.verbs()
    wire = server.received_bytes()
    for form in credential_forms(USER, PASSWORD):
        assert form not in wire


def test_untrusted_certificate_is_a_clear_tls_error(
    client: TestClient, smtp_server_factory: ServerFactory, untrusted_ca: CertAuthority
) -> None:
    server = smtp_server_factory(mode="tls", ca=untrusted_ca)
    add_connection(client, server, caBundle=None)
    response = send(client, SEED)
    assert response.status_code == 502
    problem = response.json()
    assert problem["code"] == "tls_failed"
    assert "certificate" in problem["detail"].lower()
    assert server.messages == []


def test_implicit_tls_on_its_own_port(
    client: TestClient, smtp_server_factory: ServerFactory
) -> None:
    server = smtp_server_factory(mode="tls", users={USER: PASSWORD})
    add_connection(client, server)
    assert send(client, SEED).status_code == 200
    assert server.messages[0].tls and server.messages[0].authenticated_as == USER


def test_silent_server_times_out_within_the_connection_timeout(
    client: TestClient, smtp_server_factory: ServerFactory
) -> None:
    server = smtp_server_factory(faults=Faults(silent=True))
    add_connection(client, server, timeoutSeconds=0.5, retryPolicy=NO_RETRY)
    started = time.monotonic()
    response = send(client, SEED)
    assert response.status_code == 503
    assert response.json()["code"] == "timeout"
    assert time.monotonic() - started < 5


def test_refused_port_is_503_connect_failed(client: TestClient, closed_port: int) -> None:
    client.post(
        "/v1/connections",
        json={
            "name": "mail",
            "server": "127.0.0.1",
            "port": closed_port,
            "security": "none",
            "retryPolicy": NO_RETRY,
        },
    )
    response = send(client, SEED)
    assert response.status_code == 503
    assert response.json()["code"] == "connect_failed"


def test_unknown_connection_is_404_naming_it(client: TestClient) -> None:
    response = send(client, SEED, connection="nowhere")
    assert response.status_code == 404
    assert "nowhere" in response.json()["detail"]


def test_delivery_receipt_asks_for_dsn_only_when_offered(
    client: TestClient, smtp_server_factory: ServerFactory
) -> None:
    with_dsn = smtp_server_factory(dsn=True)
    without = smtp_server_factory(dsn=False)
    add_connection(client, with_dsn, name="dsn")
    add_connection(client, without, name="plain")
    payload = {
        **SEED,
        "To": "a@example.com",
        "DeliveryReceipt": "receipts@example.com",
        "ReadReceipt": "reader@example.com",
    }
    assert send(client, payload, "dsn").status_code == 200
    assert send(client, payload, "plain").status_code == 200
    [dsn_msg], [plain_msg] = with_dsn.messages, without.messages
    assert "NOTIFY=SUCCESS,FAILURE" in dsn_msg.rcpt_options["a@example.com"]
    assert not any("NOTIFY" in o for o in plain_msg.rcpt_options.get("a@example.com", ()))
    assert dsn_msg.message["Disposition-Notification-To"] == "reader@example.com"


def test_allowed_senders_and_default_from(client: TestClient, smtp_server: SmtpTestServer) -> None:
    add_connection(
        client,
        smtp_server,
        defaultFrom="Robot <robot@example.com>",
        allowedSenders=["@example.com"],
    )
    no_from = {k: v for k, v in SEED.items() if k != "From"}
    assert send(client, no_from).status_code == 200
    assert smtp_server.messages[0].mail_from == "robot@example.com"
    foreign = send(client, {**SEED, "From": "ceo@evil.test"})
    assert foreign.status_code == 403
    assert foreign.json()["code"] == "sender_not_allowed"
    assert len(smtp_server.messages) == 1


def test_dots_and_long_lines_survive_the_wire(
    client: TestClient, smtp_server: SmtpTestServer
) -> None:
    add_connection(client, smtp_server)
    long_line = "x" * 100_000
    assert send(client, {**SEED, "IsHtml": False, "Body": "a\r\n.\r\nb"}).status_code == 200
    assert send(client, {**SEED, "IsHtml": False, "Body": long_line}).status_code == 200
    dotted, long_msg = smtp_server.messages
    assert dotted.message.get_content().replace("\r\n", "\n").rstrip("\n") == "a\n.\nb"
    assert b"\r\n..\r\n" in smtp_server.received_bytes()
    assert all(len(line) <= 998 for line in long_msg.data.split(b"\r\n"))
    assert long_msg.message.get_content().replace("\n", "") == long_line


def test_idn_domain_goes_out_as_punycode(client: TestClient, smtp_server: SmtpTestServer) -> None:
    add_connection(client, smtp_server)
    assert send(client, {**SEED, "To": "info@bücher.de"}).status_code == 200
    assert smtp_server.messages[0].rcpt_tos == ("info@xn--bcher-kva.de",)


def test_utf8_local_part_uses_smtputf8_when_offered(
    client: TestClient, smtp_server_factory: ServerFactory
) -> None:
    utf8 = smtp_server_factory(smtputf8=True)
    ascii_only = smtp_server_factory(smtputf8=False)
    add_connection(client, utf8, name="utf8")
    add_connection(client, ascii_only, name="ascii")
    payload = {**SEED, "To": "josé@example.com"}
    assert send(client, payload, "utf8").status_code == 200
    assert "SMTPUTF8" in utf8.messages[0].mail_options
    assert utf8.messages[0].rcpt_tos == ("josé@example.com",)
    refused = send(client, payload, "ascii")
    assert refused.status_code == 502
    assert "SMTPUTF8" in refused.json()["detail"]
    assert ascii_only.messages == []


def test_html_without_is_html_is_sniffed(client: TestClient, smtp_server: SmtpTestServer) -> None:
    add_connection(client, smtp_server)
    no_flag = {k: v for k, v in SEED.items() if k != "IsHtml"}
    assert send(client, no_flag).status_code == 200
    assert send(client, {**no_flag, "Body": "if a < b and c > d then"}).status_code == 200
    html_msg, text_msg = smtp_server.messages
    assert html_msg.message.get_content_type() == "multipart/alternative"
    assert text_msg.message.get_content_type() == "text/plain"
