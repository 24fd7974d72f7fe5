"""The SMTP session pool against the in-process test server: reuse, limits, stale sessions."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY

import pytest

from smtp_connector.errors import (
    AuthFailed,
    ConnectFailed,
    ConnectionDropped,
    ConnectTimeout,
    DeliveryError,
    InvalidInput,
    MessageRefused,
    RecipientsRefused,
)
from smtp_connector.mail.message import Envelope
from smtp_connector.smtp.client import deliver
from smtp_connector.smtp.pool import SmtpPool
from smtp_connector.smtp.types import SmtpSettings
from support.smtp_server import Faults, SmtpTestServer
from support.waiting import wait_until

Factory = Callable[..., SmtpTestServer]

USER = "alice@example.com"
PASSWORD = "Tr0ub4dor&3-horse-battery"
SENDER = "sender@example.com"
ENVELOPE = Envelope(SENDER, ("bob@example.com",))


def compose(subject: str) -> bytes:
    message = EmailMessage(policy=SMTP_POLICY)
    message["From"] = SENDER
    message["To"] = "bob@example.com"
    message["Subject"] = subject
    message.set_content("Hello,\nthe numbers are in.\n")
    return message.as_bytes()


def subjects(server: SmtpTestServer) -> list[str]:
    return [str(m.message["Subject"]) for m in server.messages]


def count(verbs: list[str], verb: str) -> int:
    return sum(1 for v in verbs if v == verb)


async def eventually(probe: Callable[[], object], what: str, timeout: float = 5.0) -> None:
    """Let the event loop run until ``probe()`` is true (what the pool does in the background)."""
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        await asyncio.sleep(0.01)


@pytest.fixture
async def pool() -> AsyncIterator[SmtpPool]:
    pool = SmtpPool()
    yield pool
    await pool.close()


# -- reuse ----------------------------------------------------------------------------------------


async def test_sequential_messages_share_one_logged_in_session(
    smtp_server_factory: Factory, pool: SmtpPool
) -> None:
    server = smtp_server_factory(users={USER: PASSWORD}, auth_require_tls=False)
    settings = server.settings(username=USER, password=PASSWORD)

    for n in range(20):
        result = await pool.deliver(settings, ENVELOPE, compose(f"message {n}"))
        assert result.accepted == ("bob@example.com",)
        assert result.response.code == 250

    [session] = server.sessions
    verbs = session.verbs
    assert verbs[:2] == ["EHLO", "AUTH"]
    assert verbs[2:] == ["MAIL", "RCPT", "DATA"] * 20  # no RSET, no second EHLO or AUTH
    assert subjects(server) == [f"message {n}" for n in range(20)]
    assert all(m.authenticated_as == USER for m in server.messages)
    assert pool.stats() == {
        "opened": 1,
        "reused": 19,
        "reconnected": 0,
        "discarded": 0,
        "expired": 0,
        "idle": 1,
        "busy": 0,
        "waiting": 0,
    }


async def test_starttls_and_auth_happen_once_for_many_messages(
    smtp_server_factory: Factory, pool: SmtpPool
) -> None:
    server = smtp_server_factory(mode="starttls", users={USER: PASSWORD}, require_starttls=True)
    settings = server.settings(username=USER, password=PASSWORD)

    for n in range(10):
        await pool.deliver(settings, ENVELOPE, compose(f"tls {n}"))

    [session] = server.sessions
    assert session.tls
    assert session.verbs == ["EHLO", "STARTTLS", "EHLO", "AUTH"] + ["MAIL", "RCPT", "DATA"] * 10
    assert len(server.messages) == 10
    assert all(m.tls and m.authenticated_as == USER for m in server.messages)


async def test_concurrent_deliveries_stay_within_max_sessions(
    smtp_server_factory: Factory,
) -> None:
    server = smtp_server_factory()
    settings = server.settings()
    pool = SmtpPool(max_sessions=3)
    try:
        results = await asyncio.gather(
            *(pool.deliver(settings, ENVELOPE, compose(f"parallel {n}")) for n in range(30))
        )
        assert pool.stats()["idle"] == 3
    finally:
        await pool.close()

    assert len(results) == 30
    assert len(server.sessions) == 3  # never more than 3 open, so never more than 3 at once
    assert sorted(subjects(server)) == sorted(f"parallel {n}" for n in range(30))
    assert {m.session for m in server.messages} == {s.id for s in server.sessions}
    assert pool.stats()["opened"] == 3
    assert pool.stats()["reused"] == 27


async def test_per_call_max_sessions_wins_over_the_pool_default(
    smtp_server_factory: Factory, pool: SmtpPool
) -> None:
    one, six = smtp_server_factory(), smtp_server_factory()

    await asyncio.gather(
        *(
            pool.deliver(one.settings(), ENVELOPE, compose(f"one {n}"), max_sessions=1)
            for n in range(10)
        ),
        *(
            pool.deliver(six.settings(), ENVELOPE, compose(f"six {n}"), max_sessions=6)
            for n in range(12)
        ),
    )

    assert len(one.sessions) == 1  # the pool default (4) would have opened 4
    assert len(one.messages) == 10
    assert len(six.sessions) == 6  # more than the default
    assert len(six.messages) == 12


async def test_waiting_callers_are_served_in_order(
    smtp_server_factory: Factory, pool: SmtpPool
) -> None:
    server = smtp_server_factory()
    settings = server.settings()

    tasks = [
        asyncio.create_task(pool.deliver(settings, ENVELOPE, compose(f"turn {n}"), max_sessions=1))
        for n in range(8)
    ]
    await asyncio.gather(*tasks)

    assert subjects(server) == [f"turn {n}" for n in range(8)]
    assert len(server.sessions) == 1


async def test_max_messages_per_session(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory()
    pool = SmtpPool(max_messages_per_session=3)
    try:
        for n in range(7):
            await pool.deliver(server.settings(), ENVELOPE, compose(f"m {n}"))
    finally:
        await pool.close()

    sessions = server.sessions
    assert [count(s.verbs, "DATA") for s in sessions] == [3, 3, 1]
    assert all(s.verbs[-1] == "QUIT" for s in sessions)
    assert pool.stats()["discarded"] == 2


# -- after a refusal ------------------------------------------------------------------------------


async def test_a_refused_recipient_does_not_poison_the_next_message(
    smtp_server_factory: Factory, pool: SmtpPool
) -> None:
    server = smtp_server_factory(faults=Faults(rcpt_replies={"nobody@example.com": "550 5.1.1 No"}))
    settings = server.settings()

    with pytest.raises(RecipientsRefused):
        await pool.deliver(settings, Envelope(SENDER, ("nobody@example.com",)), compose("lost"))
    await pool.deliver(settings, ENVELOPE, compose("next"))

    [session] = server.sessions
    # DATA went out with the RCPT (PIPELINING) and was refused: nobody to send it to.
    assert session.verbs == ["EHLO", "MAIL", "RCPT", "DATA", "RSET", "MAIL", "RCPT", "DATA"]
    assert subjects(server) == ["next"]
    [message] = server.messages
    assert message.mail_from == SENDER and message.rcpt_tos == ("bob@example.com",)


async def test_refused_message_then_next_one_on_the_same_session(
    smtp_server_factory: Factory, pool: SmtpPool
) -> None:
    server = smtp_server_factory()
    settings = server.settings()
    server.faults.data_end_reply = "554 5.7.1 Rejected as spam"

    with pytest.raises(MessageRefused) as caught:
        await pool.deliver(settings, ENVELOPE, compose("spam"))
    server.faults.data_end_reply = None
    await pool.deliver(settings, ENVELOPE, compose("ham"))

    assert caught.value.reply.code == 554
    [session] = server.sessions
    assert session.verbs == ["EHLO", "MAIL", "RCPT", "DATA", "RSET", "MAIL", "RCPT", "DATA"]
    assert subjects(server) == ["ham"]


async def test_unfinished_transaction_is_reset_before_the_next(
    smtp_server_factory: Factory, pool: SmtpPool
) -> None:
    """The RSET after a refusal was not confirmed: the next message starts with RSET."""
    server = smtp_server_factory(
        faults=Faults(rcpt_reply="550 5.1.1 No", rset_reply="451 4.3.0 Try again")
    )
    settings = server.settings()

    with pytest.raises(RecipientsRefused):
        await pool.deliver(settings, ENVELOPE, compose("lost"))
    server.faults.rcpt_reply = server.faults.rset_reply = None
    await pool.deliver(settings, ENVELOPE, compose("after"))

    [session] = server.sessions
    assert session.verbs == ["EHLO", "MAIL", "RCPT", "DATA", "RSET", "RSET", "MAIL", "RCPT", "DATA"]
    assert subjects(server) == ["after"]


async def test_an_unsendable_address_sends_nothing(
    smtp_server_factory: Factory, pool: SmtpPool
) -> None:
    """An address that cannot go on a command line is refused before MAIL; the session stays."""
    server = smtp_server_factory()
    settings = server.settings()

    with pytest.raises(InvalidInput):
        await pool.deliver(settings, Envelope(SENDER, ("bob\x00@example.com",)), compose("x"))
    await pool.deliver(settings, ENVELOPE, compose("after"))

    [session] = server.sessions
    assert session.verbs == ["EHLO", "MAIL", "RCPT", "DATA"]
    assert subjects(server) == ["after"]


async def test_errors_are_those_of_client_deliver(
    smtp_server_factory: Factory, pool: SmtpPool
) -> None:
    server = smtp_server_factory(users={USER: PASSWORD}, auth_require_tls=False)
    settings = server.settings(username=USER, password="wrong")

    with pytest.raises(AuthFailed) as pooled:
        await pool.deliver(settings, ENVELOPE, compose("x"))
    with pytest.raises(AuthFailed) as direct:
        await deliver(settings, ENVELOPE, compose("x"))

    assert pooled.value.message == direct.value.message
    assert pooled.value.hint == direct.value.hint
    assert pooled.value.reply == direct.value.reply
    assert pool.stats()["idle"] == pool.stats()["busy"] == 0  # a failed login is not kept
    assert [s.verbs for s in server.sessions] == [["EHLO", "AUTH", "QUIT"]] * 2

    with pytest.raises(InvalidInput):
        await pool.deliver(settings, Envelope(SENDER, ()), compose("x"))


# -- stale sessions -------------------------------------------------------------------------------


async def test_server_closing_an_idle_session_is_transparent(
    smtp_server_factory: Factory, pool: SmtpPool
) -> None:
    server = smtp_server_factory(faults=Faults(close_after_messages=1))
    settings = server.settings()

    await pool.deliver(settings, ENVELOPE, compose("first"))
    wait_until(lambda: server.sessions[0].closed, timeout=5, what="the server closing session 1")
    await pool.deliver(settings, ENVELOPE, compose("second"))

    assert subjects(server) == ["first", "second"]  # no error, no duplicate
    assert [m.session for m in server.messages] == [1, 2]
    assert pool.stats()["opened"] == 2


async def test_drop_at_mail_on_a_reused_session_sends_again_once(
    smtp_server_factory: Factory, pool: SmtpPool
) -> None:
    server = smtp_server_factory(faults=Faults(close_after_messages=1, close_reply=""))
    settings = server.settings()

    await pool.deliver(settings, ENVELOPE, compose("first"))
    await pool.deliver(settings, ENVELOPE, compose("second"))

    first, second = server.sessions
    assert first.verbs == ["EHLO", "MAIL", "RCPT", "DATA", "MAIL"]  # dropped, unanswered
    assert second.verbs[:4] == ["EHLO", "MAIL", "RCPT", "DATA"]
    assert subjects(server) == ["first", "second"]
    assert pool.stats()["reconnected"] == 1


async def test_421_at_mail_on_a_reused_session_sends_again_once(
    smtp_server_factory: Factory, pool: SmtpPool
) -> None:
    server = smtp_server_factory(
        faults=Faults(close_after_messages=1, close_reply="421 4.4.2 Idle too long, closing")
    )
    settings = server.settings()

    for n in range(3):
        await pool.deliver(settings, ENVELOPE, compose(f"m {n}"))

    assert subjects(server) == ["m 0", "m 1", "m 2"]
    assert [m.session for m in server.messages] == [1, 2, 3]
    assert [s.verbs[-1] for s in server.sessions[:2]] == ["MAIL", "MAIL"]
    assert pool.stats()["reconnected"] == 2


async def test_a_fresh_session_is_not_tried_again(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory(faults=Faults(mail_reply="421 4.3.2 Shutting down"))
    pool = SmtpPool()
    try:
        with pytest.raises(MessageRefused) as caught:
            await pool.deliver(server.settings(), ENVELOPE, compose("x"))
    finally:
        await pool.close()

    assert caught.value.reply.code == 421
    assert len(server.sessions) == 1
    assert pool.stats()["reconnected"] == 0


async def test_a_421_to_a_later_recipient_is_not_tried_again(
    smtp_server_factory: Factory, pool: SmtpPool
) -> None:
    server = smtp_server_factory()
    settings = server.settings()
    await pool.deliver(settings, ENVELOPE, compose("first"))
    server.faults.rcpt_replies = {"carol@example.com": "421 4.3.2 Shutting down"}

    with pytest.raises(MessageRefused) as caught:
        await pool.deliver(
            settings, Envelope(SENDER, ("bob@example.com", "carol@example.com")), compose("x")
        )

    assert caught.value.reply.code == 421
    assert len(server.sessions) == 1
    assert pool.stats()["reconnected"] == 0


@pytest.mark.parametrize(
    ("fault", "error", "unknown"),
    [
        ("drop_after_data", ConnectionDropped, True),
        ("drop_in_data", ConnectionDropped, True),  # a small message: all of it was sent
        ("stall_on", ConnectTimeout, True),
        ("data_reply", MessageRefused, False),
    ],
)
async def test_no_second_try_once_data_began(
    smtp_server_factory: Factory,
    pool: SmtpPool,
    fault: str,
    error: type[DeliveryError],
    unknown: bool,
) -> None:
    server = smtp_server_factory()
    settings = server.settings(timeout_seconds=0.5)
    await pool.deliver(settings, ENVELOPE, compose("first"))
    value: object = {
        "drop_after_data": True,
        "drop_in_data": True,
        "stall_on": "DATA_END",
        "data_reply": "421 4.3.2 Shutting down",
    }[fault]
    setattr(server.faults, fault, value)

    with pytest.raises(error) as caught:
        await pool.deliver(settings, ENVELOPE, compose("second"))

    assert caught.value.outcome_unknown is unknown
    assert len(server.sessions) == 1  # not sent again over a new session
    assert subjects(server) == ["first"]
    stats = pool.stats()
    assert (stats["reconnected"], stats["discarded"], stats["idle"], stats["busy"]) == (0, 1, 0, 0)


async def test_outcome_unknown_on_a_fresh_session(
    smtp_server_factory: Factory, pool: SmtpPool
) -> None:
    server = smtp_server_factory(faults=Faults(drop_after_data=True))

    with pytest.raises(ConnectionDropped) as caught:
        await pool.deliver(server.settings(), ENVELOPE, compose("maybe"))

    assert caught.value.outcome_unknown is True
    assert len(server.sessions) == 1
    assert server.messages == []


# -- idle sessions, close -------------------------------------------------------------------------


async def test_idle_sessions_expire(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory()
    pool = SmtpPool(idle_seconds=0.05)
    try:
        await pool.deliver(server.settings(), ENVELOPE, compose("one"))
        await eventually(lambda: pool.stats()["expired"] == 1, "the idle session expiring")
        await eventually(lambda: server.sessions[0].verbs[-1:] == ["QUIT"], "QUIT")
        assert pool.stats()["idle"] == 0

        await pool.deliver(server.settings(), ENVELOPE, compose("two"))
    finally:
        await pool.close()

    assert [m.session for m in server.messages] == [1, 2]


async def test_prune_closes_what_has_been_idle_too_long(
    smtp_server_factory: Factory, pool: SmtpPool
) -> None:
    server = smtp_server_factory()
    await pool.deliver(server.settings(), ENVELOPE, compose("one"))

    assert await pool.prune() == 0  # 30 s have not passed
    pool.idle_seconds = 0
    assert await pool.prune() == 1

    assert server.sessions[0].verbs[-1] == "QUIT"
    assert pool.stats()["idle"] == 0


async def test_close_quits_idle_sessions_and_drops_busy_ones(
    smtp_server_factory: Factory,
) -> None:
    quick = smtp_server_factory()
    stuck = smtp_server_factory(faults=Faults(stall_on="DATA_END"))
    pool = SmtpPool(max_sessions=2)
    await asyncio.gather(
        *(pool.deliver(quick.settings(), ENVELOPE, compose(f"q {n}")) for n in range(6))
    )
    slow = stuck.settings(timeout_seconds=30)
    busy = asyncio.create_task(pool.deliver(slow, ENVELOPE, compose("stuck")), name="busy")
    waiting = [
        asyncio.create_task(pool.deliver(slow, ENVELOPE, compose("w"), max_sessions=1))
        for _ in range(2)
    ]
    await eventually(lambda: stuck.received_bytes().endswith(b"\r\n.\r\n"), "the stuck body")
    assert pool.stats()["waiting"] == 2

    await pool.close()

    with pytest.raises(ConnectionDropped) as dropped:
        await busy
    assert dropped.value.outcome_unknown is True  # the whole message had gone out
    for task in waiting:
        with pytest.raises(ConnectFailed):
            await task
    with pytest.raises(ConnectFailed):
        await pool.deliver(quick.settings(), ENVELOPE, compose("late"))
    await pool.close()  # idempotent

    assert asyncio.all_tasks() == {asyncio.current_task()}
    stats = pool.stats()
    assert (stats["idle"], stats["busy"], stats["waiting"]) == (0, 0, 0)
    assert [s.verbs[-1] for s in quick.sessions] == ["QUIT", "QUIT"]
    wait_until(
        lambda: all(s.closed for s in quick.sessions + stuck.sessions),
        timeout=5,
        what="every session closed at the server",
    )
    assert len(quick.messages) == 6
    assert stuck.messages == []


async def test_close_with_nothing_open_leaves_no_task() -> None:
    pool = SmtpPool()
    await pool.close()
    await pool.close()
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_a_cancelled_waiter_gives_its_turn_away(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory(faults=Faults(stall_on="DATA_END"))
    settings = server.settings(timeout_seconds=0.5)
    pool = SmtpPool(max_sessions=1)
    try:
        first = asyncio.create_task(pool.deliver(settings, ENVELOPE, compose("stuck")))
        second = asyncio.create_task(pool.deliver(settings, ENVELOPE, compose("gave up")))
        await eventually(lambda: server.received_bytes().endswith(b"\r\n.\r\n"), "the body")
        assert pool.stats()["waiting"] == 1
        second.cancel()
        server.faults.stall_on = None
        with pytest.raises(ConnectTimeout):
            await first
        with pytest.raises(asyncio.CancelledError):
            await second

        await pool.deliver(settings, ENVELOPE, compose("third"))
        stats = pool.stats()
    finally:
        await pool.close()

    assert subjects(server) == ["third"]
    assert (stats["idle"], stats["busy"], stats["waiting"]) == (1, 0, 0)


async def test_settings_are_the_key(smtp_server_factory: Factory, pool: SmtpPool) -> None:
    server = smtp_server_factory(users={USER: PASSWORD, "bob": "pw"}, auth_require_tls=False)
    alice = server.settings(username=USER, password=PASSWORD)
    bob = server.settings(username="bob", password="pw")
    assert isinstance(alice, SmtpSettings) and alice != bob

    for settings in (alice, bob, alice, bob):
        await pool.deliver(settings, ENVELOPE, compose("x"))

    assert [s.authenticated_as for s in server.sessions] == [USER, "bob"]
    assert [m.authenticated_as for m in server.messages] == [USER, "bob", USER, "bob"]
