"""The SMTP client against the in-process test server: what crossed the wire, what a user sees."""

from __future__ import annotations

import asyncio
import logging
import smtplib
import socket
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.policy import SMTPUTF8 as SMTPUTF8_POLICY
from typing import Any

import pytest

from smtp_connector.errors import (
    AuthFailed,
    ConnectFailed,
    ConnectionDropped,
    ConnectTimeout,
    DeliveryError,
    MessageRefused,
    NotSmtp,
    RecipientsRefused,
    TlsFailed,
)
from smtp_connector.mail.message import Envelope
from smtp_connector.smtp.client import deliver, probe
from smtp_connector.smtp.types import AuthMechanism, Capabilities, Security
from support.certs import CertAuthority
from support.smtp_server import Faults, NotSmtpServer, SmtpTestServer, credential_forms

Factory = Callable[..., SmtpTestServer]

USER = "alice@example.com"
PASSWORD = "Tr0ub4dor&3-horse-battery"
SECRETS = credential_forms(USER, PASSWORD)
SENDER = "sender@example.com"
FAST = 0.5  # seconds: the timeout used against servers that never answer


def compose(
    subject: str = "Quarterly report", body: str = "Hello,\nthe numbers are in.\n"
) -> bytes:
    message = EmailMessage(policy=SMTP_POLICY)
    message["From"] = SENDER
    message["To"] = "bob@example.com"
    message["Subject"] = subject
    message.set_content(body)
    return message.as_bytes()


DATA = compose()


def envelope(*rcpt: str, sender: str = SENDER, dsn: bool = False, utf8: bool = False) -> Envelope:
    return Envelope(sender, rcpt or ("bob@example.com",), smtputf8=utf8, dsn=dsn)


def assert_no_secret(*texts: object) -> None:
    for text in texts:
        encoded = str(text).encode("utf-8", "surrogateescape")
        for secret in SECRETS:
            assert secret not in encoded, f"a form of the password leaked into {text!r}"


def error_texts(error: BaseException) -> list[object]:
    """Everything about an error a user or a log could see."""
    texts: list[object] = [str(error), repr(error), getattr(error, "hint", None)]
    reply = getattr(error, "reply", None)
    if reply is not None:
        texts += [repr(reply), str(reply)]
    cause = error.__cause__
    while cause is not None:
        texts += [str(cause), repr(cause)]
        cause = cause.__cause__
    return texts


def auth_server(factory: Factory, **kwargs: Any) -> SmtpTestServer:
    return factory(users={USER: PASSWORD}, **kwargs)


# -- delivery ---------------------------------------------------------------------------------


async def test_plain_delivery_hands_over_envelope_and_bytes(smtp_server: SmtpTestServer) -> None:
    result = await deliver(
        smtp_server.settings(), envelope("bob@example.com", "carol@example.com"), DATA
    )

    assert result.accepted == ("bob@example.com", "carol@example.com")
    assert result.rejected == {}
    assert result.response.code == 250
    assert result.response.enhanced_code == "2.0.0"
    assert result.response.message.startswith("OK queued as")
    [received] = smtp_server.messages
    assert received.mail_from == SENDER
    assert received.rcpt_tos == ("bob@example.com", "carol@example.com")
    assert received.data == DATA
    assert received.message["Subject"] == "Quarterly report"
    assert received.tls is False
    assert received.authenticated_as is None
    assert smtp_server.verbs() == ["EHLO", "MAIL", "RCPT", "RCPT", "DATA", "QUIT"]


async def test_dot_stuffing_and_line_endings_survive(smtp_server: SmtpTestServer) -> None:
    data = compose(body=".leading dot\n..two dots\n.\nend\n")

    await deliver(smtp_server.settings(), envelope(), data)

    [received] = smtp_server.messages
    assert received.data == data
    assert received.message.get_content() == ".leading dot\n..two dots\n.\nend\n"


@pytest.mark.parametrize(
    ("mode", "security", "mechanism", "expected"),
    [
        ("plain", Security.NONE, AuthMechanism.PLAIN, "PLAIN"),
        ("plain", Security.NONE, AuthMechanism.LOGIN, "LOGIN"),
        ("starttls", Security.STARTTLS, AuthMechanism.PLAIN, "PLAIN"),
        ("starttls", Security.STARTTLS, AuthMechanism.LOGIN, "LOGIN"),
        ("tls", Security.TLS, AuthMechanism.PLAIN, "PLAIN"),
        ("tls", Security.TLS, AuthMechanism.LOGIN, "LOGIN"),
        ("tls", Security.TLS, AuthMechanism.AUTO, "PLAIN"),
    ],
)
async def test_delivery_with_auth(
    smtp_server_factory: Factory,
    mode: str,
    security: Security,
    mechanism: AuthMechanism,
    expected: str,
) -> None:
    server = auth_server(
        smtp_server_factory, mode=mode, auth_require_tls=mode != "plain", require_auth=True
    )
    settings = server.settings(
        security=security, username=USER, password=PASSWORD, auth_mechanism=mechanism
    )

    result = await deliver(settings, envelope(), DATA)

    assert result.accepted == ("bob@example.com",)
    [session] = server.sessions
    assert session.auth_attempts == [(expected, USER, True)]
    [received] = server.messages
    assert received.authenticated_as == USER
    assert received.tls is (mode != "plain")
    assert server.verbs().count("AUTH") == 1


async def test_auto_prefers_cram_md5_which_never_sends_the_password(
    smtp_server_factory: Factory,
) -> None:
    server = auth_server(
        smtp_server_factory, auth_mechanisms=("LOGIN", "PLAIN", "CRAM-MD5"), auth_require_tls=False
    )

    await deliver(
        server.settings(username=USER, password=PASSWORD, security=Security.NONE),
        envelope(),
        DATA,
    )

    [session] = server.sessions
    assert session.auth_mechanism == "CRAM-MD5"
    assert_no_secret(server.received_bytes())


async def test_auto_prefers_plain_over_login(smtp_server_factory: Factory) -> None:
    server = auth_server(smtp_server_factory, mode="tls", auth_mechanisms=("LOGIN", "PLAIN"))

    await deliver(server.settings(username=USER, password=PASSWORD), envelope(), DATA)

    assert server.sessions[0].auth_mechanism == "PLAIN"


async def test_starttls_comes_first_and_the_password_never_crosses_in_clear(
    smtp_server_factory: Factory,
) -> None:
    server = auth_server(smtp_server_factory, mode="starttls", require_starttls=True)

    await deliver(server.settings(username=USER, password=PASSWORD), envelope(), DATA)

    transcript = server.transcript()
    assert [c.verb for c in transcript] == [
        "EHLO", "STARTTLS", "EHLO", "AUTH", "MAIL", "RCPT", "DATA", "QUIT",
    ]  # fmt: skip
    assert [c.tls for c in transcript] == [False, False] + [True] * 6
    assert server.received_bytes(cleartext_only=True) == b"EHLO localhost\r\nSTARTTLS\r\n"
    assert_no_secret(server.received_bytes(cleartext_only=True))


async def test_client_hostname_is_used_for_ehlo(smtp_server: SmtpTestServer) -> None:
    await deliver(smtp_server.settings(client_hostname="relay.example.org"), envelope(), DATA)

    assert smtp_server.sessions[0].ehlo_name == "relay.example.org"


async def test_helo_is_used_when_ehlo_is_refused(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory(faults=Faults(ehlo_reply="502 5.5.1 EHLO not implemented"))

    result = await deliver(server.settings(), envelope(), DATA)

    assert result.accepted == ("bob@example.com",)
    assert server.verbs() == ["EHLO", "HELO", "MAIL", "RCPT", "DATA", "QUIT"]
    assert server.messages[0].mail_options == ()  # no extensions without EHLO


# -- security modes ---------------------------------------------------------------------------


async def test_security_none_never_starts_tls_even_when_offered(
    smtp_server_factory: Factory,
) -> None:
    server = smtp_server_factory(mode="starttls")

    await deliver(server.settings(security=Security.NONE), envelope(), DATA)

    assert "STARTTLS" not in server.verbs()
    assert server.messages[0].tls is False


async def test_starttls_optional_upgrades_when_offered(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory(mode="starttls")

    await deliver(server.settings(security=Security.STARTTLS_OPTIONAL), envelope(), DATA)

    assert server.verbs()[:3] == ["EHLO", "STARTTLS", "EHLO"]
    assert server.messages[0].tls is True


async def test_starttls_optional_sends_in_clear_when_not_offered(
    smtp_server: SmtpTestServer,
) -> None:
    await deliver(smtp_server.settings(security=Security.STARTTLS_OPTIONAL), envelope(), DATA)

    assert "STARTTLS" not in smtp_server.verbs()
    assert smtp_server.messages[0].tls is False


async def test_starttls_optional_carries_on_when_starttls_is_refused(
    smtp_server_factory: Factory,
) -> None:
    server = smtp_server_factory(
        mode="starttls", faults=Faults(starttls_reply="454 4.7.0 TLS not available right now")
    )

    await deliver(server.settings(security=Security.STARTTLS_OPTIONAL), envelope(), DATA)

    assert server.verbs() == ["EHLO", "STARTTLS", "MAIL", "RCPT", "DATA", "QUIT"]
    assert server.messages[0].tls is False


async def test_starttls_required_but_not_offered_sends_nothing_secret(
    smtp_server_factory: Factory,
) -> None:
    server = auth_server(smtp_server_factory, auth_require_tls=False)  # plain, offers AUTH

    with pytest.raises(TlsFailed) as caught:
        await deliver(
            server.settings(security=Security.STARTTLS, username=USER, password=PASSWORD),
            envelope(),
            DATA,
        )

    error = caught.value
    assert "does not offer STARTTLS" in error.message
    assert "security=starttls refuses to send the password" in error.message
    assert "starttls-optional" in error.message
    assert error.retryable is False
    assert server.verbs() == ["EHLO", "QUIT"]
    assert_no_secret(server.received_bytes(), *error_texts(error))
    assert server.messages == []


async def test_starttls_refused_with_security_starttls(smtp_server_factory: Factory) -> None:
    server = auth_server(
        smtp_server_factory,
        mode="starttls",
        faults=Faults(starttls_reply="454 4.7.0 TLS not available due to temporary reason"),
    )

    with pytest.raises(TlsFailed) as caught:
        await deliver(server.settings(username=USER, password=PASSWORD), envelope(), DATA)

    assert "refused STARTTLS" in caught.value.message
    assert "454 4.7.0 TLS not available" in caught.value.message
    assert "AUTH" not in server.verbs()
    assert "MAIL" not in server.verbs()


# -- certificates and TLS/port mix-ups ---------------------------------------------------------


@pytest.mark.parametrize("mode", ["starttls", "tls"])
@pytest.mark.parametrize("trust", ["other CA bundle", "system trust store"])
async def test_untrusted_certificate_is_tls_failed(
    smtp_server_factory: Factory,
    tls_ca: CertAuthority,
    untrusted_ca: CertAuthority,
    mode: str,
    trust: str,
) -> None:
    server = auth_server(smtp_server_factory, mode=mode, ca=untrusted_ca)
    bundle = tls_ca.ca_pem if trust == "other CA bundle" else None
    settings = server.settings(ca_bundle_pem=bundle, username=USER, password=PASSWORD)

    with pytest.raises(TlsFailed) as caught:
        await deliver(settings, envelope(), DATA)

    error = caught.value
    assert "could not be verified" in error.message
    assert "unable to get local issuer certificate" in error.message
    assert "set verifyCertificate=false or give caBundle" in error.message
    assert getattr(error, "hint", "").startswith("set verifyCertificate=false or give caBundle")
    assert error.retryable is False
    assert not {"AUTH", "MAIL"} & set(server.verbs())
    assert server.messages == []
    assert_no_secret(server.received_bytes(), *error_texts(error))


@pytest.mark.parametrize("mode", ["starttls", "tls"])
async def test_verification_off_accepts_any_certificate(
    smtp_server_factory: Factory, untrusted_ca: CertAuthority, mode: str
) -> None:
    server = auth_server(smtp_server_factory, mode=mode, ca=untrusted_ca)
    settings = server.settings(
        ca_bundle_pem=None, verify_certificate=False, username=USER, password=PASSWORD
    )

    result = await deliver(settings, envelope(), DATA)

    assert result.accepted == ("bob@example.com",)
    assert server.messages[0].tls is True


async def test_expired_certificate_says_so(
    smtp_server_factory: Factory, tls_ca: CertAuthority
) -> None:
    server = smtp_server_factory(mode="starttls", tls_context=tls_ca.server_context(expired=True))

    with pytest.raises(TlsFailed, match="certificate has expired"):
        await deliver(server.settings(), envelope(), DATA)


async def test_certificate_for_another_host(
    smtp_server_factory: Factory, tls_ca: CertAuthority
) -> None:
    server = smtp_server_factory(mode="tls", tls_context=tls_ca.server_context(["other.test"]))

    with pytest.raises(TlsFailed) as caught:
        await deliver(server.settings(host="localhost"), envelope(), DATA)

    assert "Hostname mismatch" in caught.value.message
    assert "connect using a host name the certificate names" in caught.value.message


async def test_implicit_tls_against_a_plain_smtp_port(smtp_server: SmtpTestServer) -> None:
    with pytest.raises(TlsFailed) as caught:
        await deliver(smtp_server.settings(security=Security.TLS), envelope(), DATA)

    error = caught.value
    assert "this port speaks plain SMTP; use security=starttls (port 587/25)" in error.message
    assert getattr(error, "hint", None) == (
        "this port speaks plain SMTP; use security=starttls (port 587/25)"
    )
    assert error.retryable is False


@pytest.mark.parametrize("security", [Security.STARTTLS, Security.NONE])
async def test_plain_client_against_an_implicit_tls_port(
    smtp_server_factory: Factory, security: Security
) -> None:
    server = smtp_server_factory(mode="tls")
    started = time.monotonic()

    with pytest.raises(ConnectTimeout) as caught:
        await deliver(server.settings(security=security, timeout_seconds=FAST), envelope(), DATA)

    assert time.monotonic() - started < 2 * FAST
    assert "sent no SMTP greeting" in caught.value.message
    assert "port 465 needs security=tls" in caught.value.message
    assert "port 465 needs security=tls" in getattr(caught.value, "hint", "")


async def test_unusable_ca_bundle(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory(mode="starttls")

    with pytest.raises(TlsFailed, match=r"caBundle"):
        await deliver(server.settings(ca_bundle_pem="not a certificate"), envelope(), DATA)

    assert server.sessions == []  # refused before connecting


# -- connecting ---------------------------------------------------------------------------------


async def test_connection_refused(smtp_server: SmtpTestServer, closed_port: int) -> None:
    with pytest.raises(ConnectFailed) as caught:
        await deliver(smtp_server.settings(port=closed_port), envelope(), DATA)

    error = caught.value
    assert error.message.startswith(f"Nothing accepts connections at 127.0.0.1:{closed_port}")
    assert "check host and port" in error.message
    assert "Traceback" not in error.message
    assert "Errno" not in error.message
    assert error.retryable is True


async def test_host_name_that_does_not_resolve(
    smtp_server: SmtpTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def no_such_host(*args: object, **kwargs: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", no_such_host)

    with pytest.raises(ConnectFailed) as caught:
        await deliver(smtp_server.settings(host="smtp.nowhere.invalid"), envelope(), DATA)

    assert "'smtp.nowhere.invalid' could not be resolved" in caught.value.message


async def test_host_name_that_is_not_valid(smtp_server: SmtpTestServer) -> None:
    with pytest.raises(ConnectFailed) as caught:
        await deliver(smtp_server.settings(host="a" * 64 + ".example"), envelope(), DATA)

    assert "is not valid" in caught.value.message
    assert caught.value.retryable is False


async def test_greeting_421_is_a_retryable_refusal_without_the_banner(
    smtp_server_factory: Factory,
) -> None:
    server = smtp_server_factory(
        faults=Faults(greeting="421 4.3.2 mx.test BANNER-TEXT going down for maintenance")
    )

    with pytest.raises(MessageRefused) as caught:
        await deliver(server.settings(), envelope(), DATA)

    error = caught.value
    assert error.reply.code == 421
    assert error.reply.enhanced_code == "4.3.2"
    assert error.retryable is True
    assert "greeting code 421" in error.message
    assert "try again later" in error.message
    assert "BANNER-TEXT" not in error.message
    assert server.verbs() == []


async def test_silent_server_times_out_quickly(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory(faults=Faults(silent=True))
    started = time.monotonic()

    with pytest.raises(ConnectTimeout) as caught:
        await deliver(server.settings(timeout_seconds=FAST), envelope(), DATA)

    assert time.monotonic() - started < 2 * FAST
    assert isinstance(caught.value, TimeoutError)
    assert caught.value.retryable is True
    assert "within 0.5 s" in caught.value.message


async def test_not_smtp_does_not_echo_the_remote_answer(
    smtp_server: SmtpTestServer, not_smtp_server: NotSmtpServer
) -> None:
    with pytest.raises(NotSmtp) as caught:
        await deliver(smtp_server.settings(port=not_smtp_server.port), envelope(), DATA)

    error = caught.value
    assert f"The server at 127.0.0.1:{not_smtp_server.port} does not speak SMTP" in error.message
    assert error.retryable is False
    assert not_smtp_server.connections == 1
    for text in error_texts(error):
        assert "HTTP" not in str(text)
        assert "Bad Request" not in str(text)


# -- authentication -----------------------------------------------------------------------------


async def test_wrong_password_is_a_permanent_auth_failure(smtp_server_factory: Factory) -> None:
    server = auth_server(smtp_server_factory, mode="tls")

    with pytest.raises(AuthFailed) as caught:
        await deliver(server.settings(username=USER, password="wrong-password"), envelope(), DATA)

    error = caught.value
    assert error.reply.code == 535
    assert error.reply.enhanced_code == "5.7.8"
    assert error.retryable is False
    assert f"refused the login for user {USER!r}" in error.message
    assert getattr(error, "hint", None) == "check the username and password"
    assert "wrong-password" not in str(error)
    assert "MAIL" not in server.verbs()
    assert server.sessions[0].auth_attempts == [("PLAIN", USER, False)]


async def test_temporary_auth_failure_is_retryable(smtp_server_factory: Factory) -> None:
    server = auth_server(
        smtp_server_factory,
        mode="tls",
        faults=Faults(auth_reply="454 4.7.0 Temporary authentication failure"),
    )

    with pytest.raises(AuthFailed) as caught:
        await deliver(server.settings(username=USER, password=PASSWORD), envelope(), DATA)

    assert caught.value.reply.code == 454
    assert caught.value.retryable is True


async def test_chosen_mechanism_not_offered(smtp_server_factory: Factory) -> None:
    server = auth_server(smtp_server_factory, mode="tls", auth_mechanisms=("LOGIN",))
    settings = server.settings(
        username=USER, password=PASSWORD, auth_mechanism=AuthMechanism.CRAM_MD5
    )

    with pytest.raises(AuthFailed) as caught:
        await deliver(settings, envelope(), DATA)

    error = caught.value
    assert error.reply.code == 504
    assert error.retryable is False
    assert "authMechanism is CRAM-MD5" in error.message
    assert "offers only AUTH LOGIN" in error.message
    assert "AUTH" not in server.verbs()


async def test_username_but_no_auth_offered(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory(mode="tls")

    with pytest.raises(AuthFailed) as caught:
        await deliver(server.settings(username=USER, password=PASSWORD), envelope(), DATA)

    assert "does not offer AUTH" in caught.value.message
    assert caught.value.retryable is False
    assert "AUTH" not in server.verbs()
    assert_no_secret(server.received_bytes())


async def test_auth_offered_only_after_tls_is_explained(smtp_server_factory: Factory) -> None:
    server = auth_server(smtp_server_factory)  # plain; AUTH needs TLS, as on most servers

    with pytest.raises(AuthFailed) as caught:
        await deliver(
            server.settings(security=Security.NONE, username=USER, password=PASSWORD),
            envelope(),
            DATA,
        )

    assert "on this unencrypted connection" in caught.value.message
    assert "use security=starttls" in caught.value.message
    assert_no_secret(server.received_bytes())


# -- recipients ---------------------------------------------------------------------------------


async def test_partial_acceptance(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory(
        faults=Faults(rcpt_replies={"nobody@example.com": "550 5.1.1 No such user here"})
    )

    result = await deliver(
        server.settings(),
        envelope("bob@example.com", "nobody@example.com", "carol@example.com"),
        DATA,
    )

    assert result.accepted == ("bob@example.com", "carol@example.com")
    assert set(result.rejected) == {"nobody@example.com"}
    refusal = result.rejected["nobody@example.com"]
    assert (refusal.code, refusal.enhanced_code) == (550, "5.1.1")
    assert refusal.message == "No such user here"
    [received] = server.messages
    assert received.rcpt_tos == ("bob@example.com", "carol@example.com")
    assert server.verbs().count("RCPT") == 3


@pytest.mark.parametrize(
    ("pipelining", "verbs"),
    [
        (False, ["EHLO", "MAIL", "RCPT", "RCPT", "RSET", "QUIT"]),
        (True, ["EHLO", "MAIL", "RCPT", "RCPT", "DATA", "RSET", "QUIT"]),
    ],
)
@pytest.mark.parametrize(
    "reply", ["451 4.3.0 Mail system temporarily busy", "452 4.2.2 Mailbox full"]
)
async def test_every_recipient_refused_for_now(
    smtp_server_factory: Factory, reply: str, pipelining: bool, verbs: list[str]
) -> None:
    """With PIPELINING, DATA went out with the recipients (and was refused: nobody to send to)."""
    server = smtp_server_factory(faults=Faults(rcpt_reply=reply), pipelining=pipelining)

    with pytest.raises(RecipientsRefused) as caught:
        await deliver(server.settings(), envelope("bob@example.com", "carol@example.com"), DATA)

    error = caught.value
    assert error.retryable is True
    assert set(error.refusals) == {"bob@example.com", "carol@example.com"}
    assert all(r.is_transient and r.code == int(reply[:3]) for r in error.refusals.values())
    assert server.verbs() == verbs
    assert server.messages == []


@pytest.mark.parametrize("pipelining", [False, True])
async def test_every_recipient_refused_for_good(
    smtp_server_factory: Factory, pipelining: bool
) -> None:
    server = smtp_server_factory(
        faults=Faults(rcpt_reply="550 5.1.1 User unknown"), pipelining=pipelining
    )

    with pytest.raises(RecipientsRefused) as caught:
        await deliver(server.settings(), envelope("bob@example.com", "carol@example.com"), DATA)

    error = caught.value
    assert error.retryable is False
    assert error.reply.code == 550
    assert {a: r.enhanced_code for a, r in error.refusals.items()} == {
        "bob@example.com": "5.1.1",
        "carol@example.com": "5.1.1",
    }
    assert ("DATA" in server.verbs()) is pipelining
    assert server.messages == []


async def test_mixed_refusals_are_retryable(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory(
        faults=Faults(
            rcpt_replies={
                "bob@example.com": "550 5.1.1 User unknown",
                "carol@example.com": "451 4.3.0 Try again",
            }
        )
    )

    with pytest.raises(RecipientsRefused) as caught:
        await deliver(server.settings(), envelope("bob@example.com", "carol@example.com"), DATA)

    assert caught.value.retryable is True


async def test_421_to_a_recipient_ends_the_session(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory(faults=Faults(rcpt_reply="421 4.3.2 Shutting down"))

    with pytest.raises(MessageRefused) as caught:
        await deliver(server.settings(), envelope("bob@example.com", "carol@example.com"), DATA)

    assert caught.value.reply.code == 421
    assert caught.value.retryable is True
    assert server.verbs() == ["EHLO", "MAIL", "RCPT"]


# -- MAIL FROM and DATA -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pipelining", "verbs"),
    [
        (False, ["EHLO", "MAIL", "RSET", "QUIT"]),
        (True, ["EHLO", "MAIL", "RCPT", "DATA", "RSET", "QUIT"]),
    ],
)
async def test_sender_refused(
    smtp_server_factory: Factory, pipelining: bool, verbs: list[str]
) -> None:
    server = smtp_server_factory(
        faults=Faults(mail_reply="550 5.7.1 Sender not allowed"), pipelining=pipelining
    )

    with pytest.raises(MessageRefused) as caught:
        await deliver(server.settings(), envelope(), DATA)

    error = caught.value
    assert (error.reply.code, error.reply.enhanced_code) == (550, "5.7.1")
    assert error.retryable is False
    assert f"refused the sender <{SENDER}>: 550 5.7.1 Sender not allowed" in error.message
    assert server.verbs() == verbs
    assert server.messages == []


@pytest.mark.parametrize(
    ("reply", "retryable"),
    [
        ("552 5.3.4 Message too big for this mailbox", False),
        ("554 5.7.1 Rejected as spam", False),
        ("451 4.3.0 Local error in processing", True),
    ],
)
async def test_message_refused_after_data(
    smtp_server_factory: Factory, reply: str, retryable: bool
) -> None:
    server = smtp_server_factory(faults=Faults(data_end_reply=reply))

    with pytest.raises(MessageRefused) as caught:
        await deliver(server.settings(), envelope(), DATA)

    error = caught.value
    assert str(error.reply) == reply
    assert error.retryable is retryable
    assert f"refused the message: {reply}" in error.message
    assert server.messages == []


async def test_data_command_refused(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory(faults=Faults(data_reply="554 5.5.1 No valid recipients"))

    with pytest.raises(MessageRefused) as caught:
        await deliver(server.settings(), envelope(), DATA)

    assert caught.value.reply.code == 554
    assert server.messages == []


async def test_drop_in_the_middle_of_data(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory(faults=Faults(drop_in_data=True))

    with pytest.raises(ConnectionDropped) as caught:
        await deliver(server.settings(), envelope(), DATA)

    assert "closed the connection during DATA" in caught.value.message
    assert caught.value.retryable is True
    assert server.messages == []


@pytest.mark.parametrize("step", ["EHLO", "RCPT", "DATA_END"])
async def test_server_that_stops_answering_times_out(
    smtp_server_factory: Factory, step: str
) -> None:
    server = smtp_server_factory(faults=Faults(stall_on=step))
    started = time.monotonic()

    with pytest.raises(ConnectTimeout) as caught:
        await deliver(server.settings(timeout_seconds=FAST), envelope(), DATA)

    assert time.monotonic() - started < 2 * FAST
    assert "did not answer" in caught.value.message


# -- outcome unknown: the connection broke after the final dot, before the reply -----------------


def big_message(size: int = 16 << 20) -> bytes:
    """A message much larger than what the loopback's socket buffers absorb at once."""
    line = b"x" * 76 + b"\r\n"
    return b"Subject: big\r\n\r\n" + line * (size // len(line))


@pytest.mark.parametrize("mode", ["plain", "starttls"])
async def test_drop_after_the_final_dot_leaves_the_outcome_unknown(
    smtp_server_factory: Factory, mode: str
) -> None:
    server = smtp_server_factory(mode=mode, faults=Faults(drop_after_data=True))

    with pytest.raises(ConnectionDropped) as caught:
        await deliver(server.settings(), envelope(), DATA)

    error = caught.value
    assert error.outcome_unknown is True
    assert error.retryable is True
    assert "closed the connection during DATA" in error.message
    assert "may have accepted it" in (error.hint or "")
    assert server.messages == []
    assert server.received_bytes().endswith(b"\r\n.\r\n")  # the dot did get there


async def test_no_answer_after_the_final_dot_leaves_the_outcome_unknown(
    smtp_server_factory: Factory,
) -> None:
    server = smtp_server_factory(faults=Faults(stall_on="DATA_END"))

    with pytest.raises(ConnectTimeout) as caught:
        await deliver(server.settings(timeout_seconds=FAST), envelope(), DATA)

    assert caught.value.outcome_unknown is True
    assert "did not answer DATA" in caught.value.message


@pytest.mark.parametrize("step", ["MAIL", "RCPT", "DATA"])
async def test_no_answer_before_the_body_is_not_unknown(
    smtp_server_factory: Factory, step: str
) -> None:
    server = smtp_server_factory(faults=Faults(stall_on=step))

    with pytest.raises(ConnectTimeout) as caught:
        await deliver(server.settings(timeout_seconds=FAST), envelope(), DATA)

    assert caught.value.outcome_unknown is False
    assert b"Quarterly report" not in server.received_bytes()


async def test_drop_in_the_middle_of_the_body_is_not_unknown(smtp_server_factory: Factory) -> None:
    """The server drops after the first body line while most of the message is still unsent.

    (With a small message the client cannot tell this apart from a drop after the final dot:
    the whole message is already in the operating system's hands when the server drops, so
    that case reports ``outcome_unknown``, as RFC 5321 section 6.1 asks.)
    """
    server = smtp_server_factory(faults=Faults(drop_in_data=True))

    with pytest.raises(ConnectionDropped) as caught:
        await deliver(server.settings(), envelope(), big_message())

    assert caught.value.outcome_unknown is False
    assert caught.value.hint == "try again later"
    assert server.messages == []


async def test_refusals_are_never_unknown(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory(faults=Faults(data_end_reply="451 4.3.0 Try again"))

    with pytest.raises(MessageRefused) as caught:
        await deliver(server.settings(), envelope(), DATA)

    assert caught.value.outcome_unknown is False


# -- ESMTP extensions ---------------------------------------------------------------------------


async def test_dsn_parameters_when_offered_and_asked_for(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory(dsn=True)

    await deliver(
        server.settings(), envelope("bob@example.com", "carol@example.com", dsn=True), DATA
    )

    [received] = server.messages
    assert "RET=HDRS" in received.mail_options
    assert received.rcpt_options == {
        "bob@example.com": ("NOTIFY=SUCCESS,FAILURE",),
        "carol@example.com": ("NOTIFY=SUCCESS,FAILURE",),
    }


@pytest.mark.parametrize(("offered", "asked"), [(True, False), (False, True)])
async def test_no_dsn_parameters_otherwise(
    smtp_server_factory: Factory, offered: bool, asked: bool
) -> None:
    server = smtp_server_factory(dsn=offered)

    await deliver(server.settings(), envelope(dsn=asked), DATA)

    [received] = server.messages
    assert not any(o.startswith("RET=") for o in received.mail_options)
    assert received.rcpt_options == {"bob@example.com": ()}


def utf8_message() -> bytes:
    message = EmailMessage(policy=SMTPUTF8_POLICY)
    message["From"] = "jörg@example.com"
    message["To"] = "zoë@example.com"
    message["Subject"] = "Grüße"
    message.set_content("Schöne Grüße\n", cte="8bit")
    return message.as_bytes()


async def test_smtputf8_for_non_ascii_addresses(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory(smtputf8=True)
    data = utf8_message()

    await deliver(
        server.settings(), envelope("zoë@example.com", sender="jörg@example.com", utf8=True), data
    )

    [received] = server.messages
    assert "SMTPUTF8" in received.mail_options
    assert "BODY=8BITMIME" in received.mail_options
    assert received.mail_from == "jörg@example.com"
    assert received.rcpt_tos == ("zoë@example.com",)
    assert received.message["Subject"] == "Grüße"


async def test_smtputf8_needed_but_not_offered(smtp_server: SmtpTestServer) -> None:
    with pytest.raises(MessageRefused) as caught:
        await deliver(
            smtp_server.settings(),
            envelope("zoë@example.com", sender="jörg@example.com", utf8=True),
            utf8_message(),
        )

    error = caught.value
    assert (error.reply.code, error.reply.enhanced_code) == (553, "5.6.7")
    assert error.retryable is False
    assert "does not support SMTPUTF8, needed for a non-ASCII address" in error.message
    assert "MAIL" not in smtp_server.verbs()


async def test_size_parameter_is_the_wire_size(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory(size_limit=10_000)

    await deliver(server.settings(), envelope(), DATA)

    assert server.messages[0].mail_options == (f"SIZE={len(DATA)}",)


async def test_message_larger_than_the_server_limit_is_not_sent(
    smtp_server_factory: Factory,
) -> None:
    server = smtp_server_factory(size_limit=100)

    with pytest.raises(MessageRefused) as caught:
        await deliver(server.settings(), envelope(), DATA)

    error = caught.value
    assert (error.reply.code, error.reply.enhanced_code) == (552, "5.3.4")
    assert error.retryable is False
    assert f"The message is {len(DATA)} bytes" in error.message
    assert "at most 100 bytes" in error.message
    assert "MAIL" not in server.verbs()


@pytest.mark.parametrize(
    ("offered", "body", "expected"),
    [(True, "Grüße\n", True), (False, "Grüße\n", False), (True, "plain ascii\n", False)],
)
async def test_8bitmime_body_parameter(
    smtp_server_factory: Factory, offered: bool, body: str, expected: bool
) -> None:
    server = smtp_server_factory(eightbitmime=offered, advertise_size=False)
    message = EmailMessage(policy=SMTP_POLICY)
    message["Subject"] = "x"
    message.set_content(body, cte="8bit" if not body.isascii() else "7bit")
    data = message.as_bytes()

    await deliver(server.settings(), envelope(), data)

    assert ("BODY=8BITMIME" in server.messages[0].mail_options) is expected
    assert server.messages[0].data == data


# -- probe --------------------------------------------------------------------------------------


async def test_probe_reports_capabilities_and_sends_no_mail(smtp_server_factory: Factory) -> None:
    server = auth_server(
        smtp_server_factory, mode="starttls", size_limit=35_882_577, dsn=True, smtputf8=True
    )

    capabilities = await probe(server.settings(username=USER, password=PASSWORD))

    assert capabilities == Capabilities(
        tls=True,
        authenticated=True,
        starttls=True,
        auth_mechanisms=("PLAIN", "LOGIN"),
        size_limit=35_882_577,
        pipelining=True,
        eightbitmime=True,
        smtputf8=True,
        dsn=True,
    )
    assert server.verbs() == ["EHLO", "STARTTLS", "EHLO", "AUTH", "QUIT"]
    assert server.messages == []


async def test_probe_of_a_bare_server(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory(pipelining=False, eightbitmime=False)

    capabilities = await probe(server.settings())

    assert capabilities == Capabilities(
        tls=False,
        authenticated=False,
        starttls=False,
        auth_mechanisms=(),
        size_limit=None,  # "SIZE" without a number: no limit
        pipelining=False,
        eightbitmime=False,
        smtputf8=False,
        dsn=False,
    )
    assert server.verbs() == ["EHLO", "QUIT"]


async def test_probe_maps_errors_like_deliver(smtp_server_factory: Factory) -> None:
    server = auth_server(smtp_server_factory, mode="tls")

    with pytest.raises(AuthFailed):
        await probe(server.settings(username=USER, password="nope"))


# -- the password stays secret ----------------------------------------------------------------


async def test_password_never_in_errors_or_logs(
    smtp_server_factory: Factory,
    untrusted_ca: CertAuthority,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    plain_blob = SECRETS[2].decode()
    echoing = auth_server(
        smtp_server_factory,
        mode="tls",
        faults=Faults(auth_reply=f"535 5.7.8 Bad credentials {plain_blob} ({PASSWORD})"),
    )
    no_starttls = auth_server(smtp_server_factory, auth_require_tls=False)
    untrusted = auth_server(smtp_server_factory, mode="tls", ca=untrusted_ca)
    rcpt_echo = auth_server(
        smtp_server_factory, mode="tls", faults=Faults(rcpt_reply=f"550 5.1.1 no {PASSWORD}")
    )
    attempts = [
        echoing.settings(username=USER, password=PASSWORD),
        no_starttls.settings(security=Security.STARTTLS, username=USER, password=PASSWORD),
        untrusted.settings(username=USER, password=PASSWORD, ca_bundle_pem=None),
        rcpt_echo.settings(username=USER, password=PASSWORD),
    ]
    errors: list[DeliveryError] = []
    for settings in attempts:
        assert_no_secret(repr(settings))
        with pytest.raises(DeliveryError) as caught:
            await deliver(settings, envelope(), DATA)
        errors.append(caught.value)

    assert [type(e) for e in errors] == [AuthFailed, TlsFailed, TlsFailed, RecipientsRefused]
    assert "********" in errors[0].message  # the echo was redacted, the reply kept
    for error in errors:
        assert_no_secret(*error_texts(error))
        for refusal in getattr(error, "refusals", {}).values():
            assert_no_secret(repr(refusal))
    assert_no_secret(caplog.text)
    assert_no_secret(no_starttls.received_bytes(), untrusted.received_bytes())


# -- the harness itself -------------------------------------------------------------------------


def test_harness_works_from_sync_code_with_another_client(
    smtp_server_factory: Factory, tls_ca: CertAuthority
) -> None:
    """stdlib smtplib (an independent client) against the harness, from a plain sync test."""
    server = auth_server(smtp_server_factory, mode="starttls", require_starttls=True)

    with smtplib.SMTP(server.host, server.port, timeout=5) as smtp:
        with pytest.raises(smtplib.SMTPSenderRefused):
            smtp.sendmail(SENDER, ["bob@example.com"], DATA)  # refused before STARTTLS
        smtp.starttls(context=tls_ca.client_context())
        smtp.login(USER, PASSWORD)
        smtp.sendmail(SENDER, ["bob@example.com"], DATA)

    [received] = server.wait_for_messages(1, timeout=5)
    assert received.tls is True
    assert received.authenticated_as == USER
    assert received.message["Subject"] == "Quarterly report"


def test_harness_stops_cleanly_with_idle_connections() -> None:
    before = set(threading.enumerate())
    server = SmtpTestServer()
    with server, socket.create_connection(server.address, timeout=5) as idle:
        assert idle.recv(100).startswith(b"220 mx.test")  # the session is live; stop() now
    assert set(threading.enumerate()) <= before
    assert [s.closed for s in server.sessions] == [True]
    with pytest.raises(OSError):
        socket.create_connection(server.address, timeout=1).close()
