"""PIPELINING (RFC 2920) against the in-process test server: what went out together, and that a
user sees the same results, refusals and errors with it as without it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from typing import Any

import pytest

from smtp_connector.errors import (
    ConnectionDropped,
    DeliveryError,
    MessageRefused,
    RecipientsRefused,
)
from smtp_connector.mail.message import Envelope
from smtp_connector.smtp.client import deliver
from smtp_connector.smtp.pool import SmtpPool
from support.smtp_server import Faults, SmtpTestServer

Factory = Callable[..., SmtpTestServer]

SENDER = "sender@example.com"
USER = "alice@example.com"
PASSWORD = "Tr0ub4dor&3-horse-battery"
THREE = Envelope(SENDER, ("bob@example.com", "carol@example.com", "dave@example.com"))
ONE = Envelope(SENDER, ("bob@example.com",))


def compose(subject: str) -> bytes:
    message = EmailMessage(policy=SMTP_POLICY)
    message["From"] = SENDER
    message["To"] = "bob@example.com"
    message["Subject"] = subject
    message.set_content("Hello,\n.a line that starts with a dot\nthe numbers are in.\n")
    return message.as_bytes()


def subjects(server: SmtpTestServer) -> list[str]:
    return [str(m.message["Subject"]) for m in server.messages]


def pipelined(server: SmtpTestServer) -> list[tuple[str, bool]]:
    """Each command, and whether it arrived before the server had answered the one before."""
    return [(c.verb, c.pipelined) for c in server.transcript()]


@pytest.fixture
async def pool() -> AsyncIterator[SmtpPool]:
    pool = SmtpPool()
    yield pool
    await pool.close()


# -- what goes out together -----------------------------------------------------------------------


@pytest.mark.parametrize("batch_replies", [False, True])
async def test_mail_rcpt_and_data_go_out_together(
    smtp_server_factory: Factory, batch_replies: bool
) -> None:
    """Replies one by one, or all in one packet (as Postfix answers): the same outcome."""
    server = smtp_server_factory(batch_replies=batch_replies)

    result = await deliver(server.settings(), THREE, compose("together"))

    assert result.accepted == THREE.rcpt_to
    assert result.response.code == 250
    assert pipelined(server) == [
        ("EHLO", False),
        ("MAIL", False),
        ("RCPT", True),
        ("RCPT", True),
        ("RCPT", True),
        ("DATA", True),
        ("QUIT", False),
    ]
    [message] = server.messages
    assert message.rcpt_tos == THREE.rcpt_to
    assert message.data == compose("together")


async def test_pipelining_after_starttls_and_login(
    smtp_server_factory: Factory, pool: SmtpPool
) -> None:
    server = smtp_server_factory(
        mode="starttls", users={USER: PASSWORD}, require_starttls=True, batch_replies=True
    )
    settings = server.settings(username=USER, password=PASSWORD)

    for n in range(3):
        await pool.deliver(settings, THREE, compose(f"tls {n}"))

    [session] = server.sessions
    assert session.tls
    assert [c.verb for c in session.commands if c.pipelined] == ["RCPT", "RCPT", "RCPT", "DATA"] * 3
    assert subjects(server) == ["tls 0", "tls 1", "tls 2"]
    assert all(m.tls and m.authenticated_as == USER for m in server.messages)


async def test_without_pipelining_each_command_waits_for_its_reply(
    smtp_server_factory: Factory, pool: SmtpPool
) -> None:
    server = smtp_server_factory(
        pipelining=False,
        faults=Faults(rcpt_replies={"carol@example.com": "550 5.1.1 No such user"}),
    )
    settings = server.settings()

    result = await pool.deliver(settings, THREE, compose("one"))
    with pytest.raises(RecipientsRefused):
        await pool.deliver(settings, Envelope(SENDER, ("carol@example.com",)), compose("two"))
    server.faults.mail_reply = "451 4.3.0 Try again later"
    with pytest.raises(MessageRefused):
        await pool.deliver(settings, ONE, compose("three"))

    assert set(result.rejected) == {"carol@example.com"}
    assert subjects(server) == ["one"]
    assert [verb for verb, _ in pipelined(server)] == [
        "EHLO",
        *("MAIL", "RCPT", "RCPT", "RCPT", "DATA"),
        *("MAIL", "RCPT", "RSET"),
        *("MAIL", "RSET"),
    ]
    assert not any(ahead for _, ahead in pipelined(server))


# -- refusals and breaks while pipelining ---------------------------------------------------------


async def test_per_recipient_refusals_while_pipelining(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory(
        batch_replies=True,
        faults=Faults(
            rcpt_replies={
                "carol@example.com": "550 5.1.1 No such user here",
                "dave@example.com": "452 4.2.2 Mailbox full",
            }
        ),
    )

    result = await deliver(server.settings(), THREE, compose("partly"))

    assert result.accepted == ("bob@example.com",)
    assert {a: (r.code, r.enhanced_code) for a, r in result.rejected.items()} == {
        "carol@example.com": (550, "5.1.1"),
        "dave@example.com": (452, "4.2.2"),
    }
    [message] = server.messages
    assert message.rcpt_tos == ("bob@example.com",)
    assert ("DATA", True) in pipelined(server)


@pytest.mark.parametrize(
    ("reply", "retryable"), [("451 4.3.0 Try again later", True), ("550 5.7.1 Not you", False)]
)
async def test_mail_refused_while_pipelining(
    smtp_server_factory: Factory, pool: SmtpPool, reply: str, retryable: bool
) -> None:
    """The RCPT and DATA sent with MAIL are answered (refused) and read; RSET; the session
    stays usable."""
    server = smtp_server_factory(batch_replies=True, faults=Faults(mail_reply=reply))
    settings = server.settings()

    with pytest.raises(MessageRefused) as caught:
        await pool.deliver(settings, THREE, compose("refused"))
    server.faults.mail_reply = None
    await pool.deliver(settings, ONE, compose("next"))

    error = caught.value
    assert (error.reply.code, error.retryable) == (int(reply[:3]), retryable)
    assert f"refused the sender <{SENDER}>: {reply}" in error.message
    [session] = server.sessions
    assert session.verbs == [
        *("EHLO", "MAIL", "RCPT", "RCPT", "RCPT", "DATA", "RSET"),
        *("MAIL", "RCPT", "DATA"),
    ]
    assert subjects(server) == ["next"]


async def test_data_accepted_with_nobody_to_send_to_gets_an_empty_message(
    smtp_server_factory: Factory, pool: SmtpPool
) -> None:
    """Every RCPT refused, yet DATA answered 354: a lone dot ends it (RFC 2920 section 3.1)."""
    server = smtp_server_factory(
        faults=Faults(rcpt_reply="550 5.1.1 User unknown", data_without_recipients=True)
    )
    settings = server.settings()

    with pytest.raises(RecipientsRefused) as caught:
        await pool.deliver(settings, THREE, compose("nobody"))
    server.faults.rcpt_reply = None
    await pool.deliver(settings, ONE, compose("next"))

    assert set(caught.value.refusals) == set(THREE.rcpt_to)
    [session] = server.sessions
    assert session.verbs == [
        *("EHLO", "MAIL", "RCPT", "RCPT", "RCPT", "DATA", "RSET"),
        *("MAIL", "RCPT", "DATA"),
    ]
    raw = b"".join(data for _, data in session.raw)
    assert b"DATA\r\n.\r\nRSET\r\n" in raw  # the empty message, not the real one
    assert subjects(server) == ["next"]


@pytest.mark.parametrize("verb", ["RCPT", "DATA"])
async def test_disconnect_in_the_middle_of_the_pipeline(
    smtp_server_factory: Factory, verb: str
) -> None:
    """MAIL answered, then the connection drops before the next reply: nothing was sent."""
    server = smtp_server_factory(batch_replies=True, faults=Faults(drop_on=verb))

    with pytest.raises(ConnectionDropped) as caught:
        await deliver(server.settings(), THREE, compose("dropped"))

    step = {"RCPT": "RCPT TO", "DATA": "DATA"}[verb]
    assert f"closed the connection during {step}" in caught.value.message
    assert caught.value.outcome_unknown is False
    assert caught.value.retryable is True
    assert server.messages == []


async def test_disconnect_before_any_recipient_answered_on_a_reused_session_sends_again(
    smtp_server_factory: Factory, pool: SmtpPool
) -> None:
    """Dropped after MAIL's reply, before the first RCPT's: as stale as a drop at MAIL."""
    server = smtp_server_factory(batch_replies=True)
    settings = server.settings()
    await pool.deliver(settings, ONE, compose("first"))
    server.faults.drop_on = "RCPT"

    with pytest.raises(ConnectionDropped):
        await pool.deliver(settings, ONE, compose("second"))

    # Sent once more over a new session, which the server drops the same way.
    assert [s.verbs[-2:] for s in server.sessions] == [["MAIL", "RCPT"]] * 2
    assert pool.stats()["reconnected"] == 1
    assert subjects(server) == ["first"]


async def test_disconnect_after_a_recipient_answered_is_not_sent_again(
    smtp_server_factory: Factory, pool: SmtpPool
) -> None:
    server = smtp_server_factory()
    settings = server.settings()
    await pool.deliver(settings, ONE, compose("first"))
    server.faults.drop_on = "DATA"

    with pytest.raises(ConnectionDropped) as caught:
        await pool.deliver(settings, THREE, compose("second"))

    assert caught.value.outcome_unknown is False
    assert len(server.sessions) == 1
    assert pool.stats()["reconnected"] == 0
    assert subjects(server) == ["first"]


# -- the same outcome with and without ------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """What a user of ``deliver`` sees, and what the server kept."""

    outcome: tuple[Any, ...]
    delivered: list[tuple[str, tuple[str, ...]]]


async def attempt(factory: Factory, pipelining: bool, faults: Faults, **server: Any) -> Seen:
    smtp = factory(pipelining=pipelining, batch_replies=pipelining, faults=faults, **server)
    outcome: tuple[Any, ...]
    try:
        result = await deliver(smtp.settings(timeout_seconds=0.5), THREE, compose("same"))
    except DeliveryError as error:
        outcome = (
            type(error),
            error.message.replace(f":{smtp.port}", ":PORT"),  # each server has its own port
            error.hint,
            error.retryable,
            error.outcome_unknown,
            getattr(error, "reply", None),
            getattr(error, "refusals", None),
        )
    else:
        outcome = (result.accepted, result.rejected, result.response)
    delivered = [(str(m.message["Subject"]), m.rcpt_tos) for m in smtp.messages]
    return Seen(outcome, delivered)


SCENARIOS: dict[str, tuple[Faults, dict[str, Any]]] = {
    "accepted": (Faults(), {}),
    "one recipient refused": (Faults(rcpt_replies={"carol@example.com": "550 5.1.1 No"}), {}),
    "every recipient refused for now": (Faults(rcpt_reply="451 4.3.0 Busy"), {}),
    "every recipient refused for good": (Faults(rcpt_reply="550 5.1.1 Unknown"), {}),
    "421 to a recipient": (Faults(rcpt_replies={"carol@example.com": "421 4.3.2 Bye"}), {}),
    "sender refused for now": (Faults(mail_reply="451 4.3.0 Try later"), {}),
    "sender refused": (Faults(mail_reply="553 5.7.1 Not you"), {}),
    "421 to MAIL": (Faults(mail_reply="421 4.3.2 Shutting down"), {}),
    "DATA refused": (Faults(data_reply="554 5.7.1 No"), {}),
    "421 to DATA": (Faults(data_reply="421 4.3.2 Shutting down"), {}),
    "message refused": (Faults(data_end_reply="552 5.3.4 Too big"), {}),
    "drop at RCPT": (Faults(drop_on="RCPT"), {}),
    "drop at DATA": (Faults(drop_on="DATA"), {}),
    "drop in the body": (Faults(drop_in_data=True), {}),
    "drop after the final dot": (Faults(drop_after_data=True), {}),
    "no reply to RCPT": (Faults(stall_on="RCPT"), {}),
    "no reply after the final dot": (Faults(stall_on="DATA_END"), {}),
    "over the SIZE limit": (Faults(), {"size_limit": 100}),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
async def test_pipelining_changes_nothing_a_user_sees(
    smtp_server_factory: Factory, scenario: str
) -> None:
    faults, server = SCENARIOS[scenario]

    without = await attempt(smtp_server_factory, False, faults, **server)
    with_it = await attempt(smtp_server_factory, True, faults, **server)

    assert with_it == without
