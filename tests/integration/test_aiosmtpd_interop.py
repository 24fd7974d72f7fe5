"""The client against aiosmtpd, a real and widely used SMTP server: STARTTLS, implicit TLS, AUTH.

``test_smtp_client.py`` drives the project's hand-written harness, which can inject any fault;
these tests check that the same client gets along with a server written by someone else. Each one
parses what aiosmtpd received and checks the envelope, the headers and the MIME parts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from typing import Any

import pytest

from smtp_connector import send_email
from smtp_connector.errors import AuthFailed, MessageRefused, TlsFailed
from smtp_connector.mail.message import Envelope
from smtp_connector.smtp.client import deliver, probe
from smtp_connector.smtp.types import AuthMechanism, Security
from support.aiosmtpd_server import AiosmtpdServer, Mode, Received
from support.certs import CertAuthority

Factory = Callable[..., AiosmtpdServer]

USER = "alice@example.com"
PASSWORD = "Tr0ub4dor&3-horse-battery"
SENDER = "sender@example.com"
TO = ("bob@example.com", "carol@example.org")
ATTACHMENT = bytes(range(256)) * 4


@pytest.fixture(autouse=True)
def quiet_aiosmtpd() -> Iterator[None]:
    """aiosmtpd logs a deprecation warning on every AUTH (``Session.login_data``): noise here."""
    logger = logging.getLogger("mail.log")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


@pytest.fixture
def aiosmtpd_factory(tls_ca: CertAuthority) -> Iterator[Factory]:
    """``factory(mode=..., **AiosmtpdServer kwargs) -> started server``, stopped at teardown.

    TLS modes serve a certificate from ``tls_ca`` unless ``ca=`` names another authority; the
    settings a server hands out always trust ``tls_ca`` only.
    """
    servers: list[AiosmtpdServer] = []

    def factory(*, mode: Mode, ca: CertAuthority | None = None, **kwargs: Any) -> AiosmtpdServer:
        if mode != "plain":
            kwargs.setdefault("tls_context", (ca or tls_ca).server_context())
            kwargs.setdefault("ca_pem", tls_ca.ca_pem)
        server = AiosmtpdServer(mode=mode, **kwargs)
        servers.append(server)
        return server.start()

    yield factory
    errors: list[BaseException] = []
    for server in servers:
        server.stop()
        errors.extend(server.errors)
    assert not errors, f"aiosmtpd hit an exception: {errors!r}"


def compose(subject: str = "Quarterly report") -> bytes:
    """A multipart message: text and HTML alternatives (8-bit UTF-8) and a binary attachment."""
    message = EmailMessage(policy=SMTP_POLICY)
    message["From"] = f"Sender <{SENDER}>"
    message["To"] = ", ".join(TO)
    message["Subject"] = subject
    message["Message-ID"] = "<interop-1@example.com>"
    message.set_content("Hello Bob,\nthe numbers are in: 42 €.\n", cte="8bit")
    message.add_alternative("<p>Hello Bob,<br>the numbers are in: 42 €.</p>\n", subtype="html")
    message.add_attachment(
        ATTACHMENT, maintype="application", subtype="octet-stream", filename="numbers.bin"
    )
    return message.as_bytes()


def assert_is_composed_message(received: Received, subject: str = "Quarterly report") -> None:
    message = received.message
    assert message["From"] == f"Sender <{SENDER}>"
    assert message["To"] == ", ".join(TO)
    assert message["Subject"] == subject
    assert message["Message-ID"] == "<interop-1@example.com>"
    assert message.get_content_type() == "multipart/mixed"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    # An 8-bit part keeps the wire's CRLF line ends when parsed (quoted-printable would not).
    assert text.get_content().replace("\r\n", "\n") == "Hello Bob,\nthe numbers are in: 42 €.\n"
    assert "<p>Hello Bob,<br>the numbers are in: 42 €.</p>" in html.get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "numbers.bin"
    assert attachment.get_payload(decode=True) == ATTACHMENT


@pytest.mark.parametrize(
    ("mechanism", "expected"),
    [(AuthMechanism.AUTO, "PLAIN"), (AuthMechanism.PLAIN, "PLAIN"), (AuthMechanism.LOGIN, "LOGIN")],
)
async def test_starttls_and_auth_deliver_a_multipart_message(
    aiosmtpd_factory: Factory, mechanism: AuthMechanism, expected: str
) -> None:
    server = aiosmtpd_factory(mode="starttls", users={USER: PASSWORD})
    settings = server.settings(username=USER, password=PASSWORD, auth_mechanism=mechanism)
    data = compose()

    result = await deliver(settings, Envelope(SENDER, TO), data)

    assert result.accepted == TO
    assert result.rejected == {}
    assert (result.response.code, result.response.enhanced_code) == (250, "2.0.0")
    assert server.auth_attempts == [(expected, USER)]
    [received] = server.messages
    assert received.tls
    assert received.login == USER
    assert received.mail_from == SENDER
    assert received.rcpt_tos == TO
    # The body holds 8-bit UTF-8 text, so the client declared it; SIZE is the wire size.
    assert "BODY=8BITMIME" in received.mail_options
    assert f"SIZE={len(data)}" in received.mail_options
    assert received.data == data
    assert_is_composed_message(received)


async def test_probe_sees_what_aiosmtpd_offers_after_starttls(aiosmtpd_factory: Factory) -> None:
    server = aiosmtpd_factory(mode="starttls", users={USER: PASSWORD})

    caps = await probe(server.settings(username=USER, password=PASSWORD))

    assert caps.tls and caps.starttls and caps.authenticated
    # aiosmtpd offers AUTH only after STARTTLS (auth_require_tls): these are the second EHLO's.
    assert set(caps.auth_mechanisms) == {"PLAIN", "LOGIN"}
    assert caps.size_limit == 32 * 1024 * 1024
    assert caps.eightbitmime and caps.smtputf8
    assert not caps.dsn
    assert server.auth_attempts == [("PLAIN", USER)]
    assert server.messages == []


async def test_implicit_tls_delivers_and_logs_in(aiosmtpd_factory: Factory) -> None:
    server = aiosmtpd_factory(mode="tls", users={USER: PASSWORD})
    settings = server.settings(username=USER, password=PASSWORD)
    assert settings.security is Security.TLS

    caps = await probe(settings)
    result = await deliver(settings, Envelope(SENDER, TO), compose("Over implicit TLS"))

    assert caps.tls and caps.authenticated and not caps.starttls
    assert result.accepted == TO
    [received] = server.messages
    assert received.tls
    assert received.login == USER
    assert (received.mail_from, received.rcpt_tos) == (SENDER, TO)
    assert_is_composed_message(received, "Over implicit TLS")


async def test_one_refused_recipient_of_three_is_reported_and_the_rest_get_the_message(
    aiosmtpd_factory: Factory,
) -> None:
    ghost = "ghost@example.net"
    server = aiosmtpd_factory(mode="starttls", users={USER: PASSWORD}, reject_rcpt=ghost)
    recipients = ("bob@example.com", ghost, "carol@example.org")

    result = await deliver(
        server.settings(username=USER, password=PASSWORD),
        Envelope(SENDER, recipients),
        compose(),
    )

    assert result.accepted == TO
    assert list(result.rejected) == [ghost]
    refusal = result.rejected[ghost]
    assert (refusal.code, refusal.enhanced_code) == (550, "5.1.1")
    assert "User unknown" in refusal.message
    [received] = server.messages
    assert received.rcpt_tos == TO
    assert_is_composed_message(received)


async def test_552_after_data_is_message_refused_and_not_retryable(
    aiosmtpd_factory: Factory,
) -> None:
    server = aiosmtpd_factory(
        mode="starttls",
        users={USER: PASSWORD},
        data_reply="552 5.3.4 Message size exceeds fixed maximum message size",
    )
    data = compose()

    with pytest.raises(MessageRefused) as caught:
        await deliver(server.settings(username=USER, password=PASSWORD), Envelope(SENDER, TO), data)

    error = caught.value
    assert not error.retryable
    assert (error.reply.code, error.reply.enhanced_code) == (552, "5.3.4")
    assert "exceeds fixed maximum message size" in str(error)
    # The whole message reached aiosmtpd before it said no.
    [received] = server.messages
    assert received.reply.startswith("552 ")
    assert (received.mail_from, received.rcpt_tos) == (SENDER, TO)
    assert received.data == data
    assert_is_composed_message(received)


@pytest.mark.parametrize("mechanism", [AuthMechanism.PLAIN, AuthMechanism.LOGIN])
async def test_535_is_auth_failed_and_nothing_is_sent(
    aiosmtpd_factory: Factory, mechanism: AuthMechanism
) -> None:
    server = aiosmtpd_factory(mode="starttls", users={USER: PASSWORD}, auth_fails=True)
    settings = server.settings(username=USER, password=PASSWORD, auth_mechanism=mechanism)

    with pytest.raises(AuthFailed) as caught:
        await deliver(settings, Envelope(SENDER, TO), compose())

    error = caught.value
    assert not error.retryable
    assert (error.reply.code, error.reply.enhanced_code) == (535, "5.7.8")
    assert error.hint == "check the username and password"
    assert PASSWORD not in str(error)
    assert server.auth_attempts == [(mechanism.value.upper(), USER)]
    assert server.messages == []


@pytest.mark.parametrize("mode", ["starttls", "tls"])
async def test_certificate_from_an_untrusted_ca_is_tls_failed(
    aiosmtpd_factory: Factory, untrusted_ca: CertAuthority, mode: Mode
) -> None:
    server = aiosmtpd_factory(mode=mode, ca=untrusted_ca, users={USER: PASSWORD})

    with pytest.raises(TlsFailed) as caught:
        await deliver(
            server.settings(username=USER, password=PASSWORD), Envelope(SENDER, TO), compose()
        )

    assert "could not be verified" in str(caught.value)
    assert not caught.value.retryable
    # Nothing after the failed handshake: no login, no message.
    assert server.auth_attempts == []
    assert server.messages == []


async def test_send_email_from_python_through_aiosmtpd(aiosmtpd_factory: Factory) -> None:
    server = aiosmtpd_factory(mode="starttls", users={USER: PASSWORD})

    result = await send_email(
        server.settings(username=USER, password=PASSWORD),
        {
            "From": f"Sender <{SENDER}>",
            "To": "bob@example.com",
            "CC": "carol@example.org",
            "Bcc": "dave@example.net",
            "Subject": "Report ✓",
            "Body": "<p>The report is <b>attached</b>.</p>",
            "IsHtml": True,
            "Attachments": [{"ContentData": "aGVsbG8gd29ybGQ=", "FileName": "report.txt"}],
        },
    )

    everyone = ("bob@example.com", "carol@example.org", "dave@example.net")
    assert set(result.accepted) == set(everyone)
    [received] = server.messages
    assert received.tls and received.login == USER
    assert received.mail_from == SENDER
    assert set(received.rcpt_tos) == set(everyone)
    message = received.message
    assert message["Message-ID"] == result.message_id
    assert message["Subject"] == "Report ✓"
    assert message["From"] == f"Sender <{SENDER}>"
    assert message["To"] == "bob@example.com"
    assert message["Cc"] == "carol@example.org"
    assert message["Bcc"] is None  # in the envelope only
    html = message.get_body(("html",))
    assert html is not None
    assert "<b>attached</b>" in html.get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "report.txt"
    assert attachment.get_payload(decode=True) == b"hello world"
