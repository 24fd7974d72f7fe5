"""OutboxStore against real databases: SQLite, and PostgreSQL when configured.

Time is passed explicitly (``now=``) everywhere: no test depends on the clock or sleeps for
luck (the one wait polls PostgreSQL until a lock wait is visible).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, Table, func, insert, select, text
from sqlalchemy.exc import IntegrityError

from smtp_connector.errors import (
    Conflict,
    ConnectFailed,
    ConnectionDropped,
    IdempotencyMismatch,
    InvalidInput,
    MessageNotFound,
    MessageRefused,
    RecipientsRefused,
)
from smtp_connector.mail.compose import compose
from smtp_connector.mail.message import Address, ComposedMessage, Email
from smtp_connector.mail.replies import SmtpReply
from smtp_connector.outbox import records
from smtp_connector.outbox import store as store_module
from smtp_connector.outbox.store import (
    IdempotencyRequest,
    IdempotentReplay,
    OutboxStore,
    new_message_id,
)
from smtp_connector.outbox.types import (
    AttemptOutcome,
    Claimed,
    FollowUp,
    Gate,
    Lease,
    LeaseLost,
    MessageStatus,
    RetryPolicy,
)
from smtp_connector.store.db import MIGRATIONS, Database, upgrade_schema
from smtp_connector.store.models import (
    AttemptRow,
    IdempotencyKeyRow,
    MessageBodyRow,
    MessageRow,
)
from support.db import ENGINES

pytestmark = pytest.mark.parametrize("database_url", ENGINES, indirect=True)

T0 = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
LEASE = 60.0
OK = SmtpReply(250, "Ok: queued as 4F2A", "2.0.0")
T = TypeVar("T")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def message(n: int = 0, to: str = "bob@example.com") -> ComposedMessage:
    return compose(
        Email(
            sender=Address("alice@example.com"),
            to=(Address(to),),
            subject=f"Message {n}",
            body=f"Body {n}",
        )
    )


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    upgrade_schema(database.engine)
    yield database
    database.dispose()


@pytest.fixture
def other_db(database_url: str, db: Database) -> Iterator[Database]:
    """A second engine on the same database: another process, as far as the store can tell."""
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def store(db: Database) -> OutboxStore:
    return OutboxStore(db)


def count(db: Database, model: Any = MessageRow) -> int:
    with db.engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(model)) or 0)


def enqueue(store: OutboxStore, n: int = 1, when: datetime = T0, **kwargs: Any) -> list[str]:
    return store.enqueue("primary", [message(i) for i in range(n)], now=when, **kwargs)


def run_concurrently(*calls: Callable[[], T]) -> list[T | BaseException]:
    """Start every call at the same moment in its own thread; results or exceptions, in order."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T | BaseException:
        barrier.wait(timeout=30)
        try:
            return call()
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


# -- enqueue ----------------------------------------------------------------------------------


def test_enqueue_commits_the_messages_before_returning(
    store: OutboxStore, other_db: Database
) -> None:
    composed = [message(1), message(2, to="carol@example.com")]
    ids = store.enqueue("primary", composed, now=T0)

    assert count(other_db) == 2  # visible from another connection: committed
    assert len(set(ids)) == 2
    assert all(i.startswith("msg_") and len(i) == 28 for i in ids)
    stored = store.get(ids[1])
    assert stored.status is MessageStatus.QUEUED
    assert stored.connection == "primary"
    assert stored.message_id == composed[1].message_id
    assert stored.mail_from == "alice@example.com"
    assert stored.rcpt_to == ("carol@example.com",)
    assert stored.size == len(composed[1].data)
    assert stored.attempt_count == 0
    assert stored.next_attempt_at == T0
    assert stored.created_at == T0
    assert stored.created_at.tzinfo is not None
    assert stored.attempts == ()
    [claimed] = [c for c in store.claim("w", 10, LEASE, now=T0) if c.id == ids[1]]
    assert claimed.data == composed[1].data
    assert claimed.envelope == composed[1].envelope


def test_a_batch_is_all_or_nothing(
    store: OutboxStore, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "new_message_id", lambda: "msg_duplicate")
    with pytest.raises(IntegrityError):
        enqueue(store, 3)
    assert count(db) == 0


def test_enqueue_leased_leases_the_message_to_the_caller(store: OutboxStore) -> None:
    enqueued = store.enqueue_leased(message(), "primary", worker="api-1", lease_seconds=30, now=T0)
    outbox_id, lease = enqueued.id, enqueued.lease
    assert lease is not None and enqueued.wait_seconds == 0

    stored = store.get(outbox_id)
    assert stored.status is MessageStatus.SENDING
    assert stored.attempt_count == 1
    [attempt] = stored.attempts
    assert (attempt.number, attempt.worker, attempt.started_at) == (1, "api-1", T0)
    assert attempt.finished_at is None and attempt.outcome is None
    assert store.claim("w", 10, LEASE, now=at(29)) == []  # the lease is live
    assert store.record_sent(
        lease, accepted=["bob@example.com"], rejected={}, response=OK, now=at(1)
    )
    assert store.get(outbox_id).status is MessageStatus.SENT


# -- claim ------------------------------------------------------------------------------------


def test_claim_takes_due_messages_oldest_first_up_to_the_limit(
    store: OutboxStore, db: Database
) -> None:
    ids = [enqueue(store, when=at(i))[0] for i in (3, 1, 2, 0, 4)]
    by_due = [ids[3], ids[1], ids[2], ids[0], ids[4]]

    first = store.claim("w", 2, LEASE, now=at(10))
    assert [c.id for c in first] == by_due[:2]
    assert [c.attempt for c in first] == [1, 1]
    assert [c.queued_at for c in first] == [at(0), at(1)]
    rest = store.claim("w", 10, LEASE, now=at(10))
    assert [c.id for c in rest] == by_due[2:]
    assert store.claim("w", 10, LEASE, now=at(10)) == []
    assert store.claim("w", 0, LEASE, now=at(10)) == []

    stored = store.get(by_due[0])
    assert stored.status is MessageStatus.SENDING
    assert stored.attempt_count == 1
    assert [(a.number, a.worker, a.started_at) for a in stored.attempts] == [(1, "w", at(10))]
    with db.session() as session:
        lease = session.execute(
            select(MessageRow.lease_owner, MessageRow.lease_expires_at).where(
                MessageRow.id == by_due[0]
            )
        ).one()
    assert tuple(lease) == ("w", at(10 + LEASE))


def test_ties_in_due_time_are_broken_by_id(store: OutboxStore) -> None:
    ids = enqueue(store, 6)
    assert [c.id for c in store.claim("w", 6, LEASE, now=T0)] == sorted(ids)


def test_messages_due_later_are_not_claimed(store: OutboxStore) -> None:
    [later] = enqueue(store, when=at(60))
    assert store.claim("w", 10, LEASE, now=at(59)) == []
    assert [c.id for c in store.claim("w", 10, LEASE, now=at(60))] == [later]


def test_now_in_any_time_zone_means_the_same_instant(store: OutboxStore) -> None:
    plus_two = timezone(timedelta(hours=2))
    [outbox_id] = enqueue(store, when=at(0).astimezone(plus_two))
    assert store.get(outbox_id).next_attempt_at == T0
    assert store.claim("w", 10, LEASE, now=at(-1).astimezone(plus_two)) == []
    [claimed] = store.claim("w", 10, LEASE, now=at(0).astimezone(plus_two))
    assert claimed.queued_at == T0
    assert claimed.queued_at.utcoffset() == timedelta(0)


def test_an_expired_lease_is_reclaimed_and_its_attempt_closed(store: OutboxStore) -> None:
    [outbox_id] = enqueue(store)
    store.claim("dead", 10, LEASE, now=T0)

    assert store.claim("alive", 10, LEASE, now=at(LEASE)) == []  # not yet expired
    [claimed] = store.claim("alive", 10, LEASE, now=at(LEASE + 1))

    assert claimed.id == outbox_id
    assert claimed.attempt == 2
    stored = store.get(outbox_id)
    assert stored.attempt_count == 2
    stale, current = stored.attempts
    assert (stale.number, stale.worker, stale.finished_at) == (1, "dead", at(LEASE + 1))
    assert stale.outcome is AttemptOutcome.UNKNOWN
    assert stale.error_code == "lease_expired"
    assert (current.number, current.worker, current.finished_at) == (2, "alive", None)
    assert claimed.reclaimed is True
    # The dead worker may have delivered it before it died: a duplicate is possible.
    assert stored.outcome_unknown is True


def test_expired_leases_are_reclaimed_before_a_backlog(store: OutboxStore) -> None:
    [abandoned] = enqueue(store, when=at(10))
    store.claim("dead", 1, LEASE, now=at(10))
    backlog = enqueue(store, 5, when=at(0))  # due earlier than the abandoned message

    [first] = store.claim("alive", 1, LEASE, now=at(10 + LEASE + 1))
    assert first.id == abandoned
    rest = store.claim("alive", 10, LEASE, now=at(10 + LEASE + 1))
    assert [c.id for c in rest] == sorted(backlog)


def test_two_workers_never_claim_the_same_message(
    store: OutboxStore, db: Database, other_db: Database
) -> None:
    total = 200
    ids = store.enqueue("primary", [message(i) for i in range(total)], now=T0)
    stores = [store, OutboxStore(other_db)]

    def worker(index: int) -> list[str]:
        taken: list[str] = []
        for _ in range(total):  # bounded: each round takes at least one message or stops
            batch = stores[index].claim(f"w{index}", 7, LEASE, now=at(1))
            if not batch:
                break
            taken.extend(c.id for c in batch)
        return taken

    results = run_concurrently(lambda: worker(0), lambda: worker(1))
    first, second = (r for r in results if isinstance(r, list))
    assert len(first) + len(second) == total  # no message twice, within or across workers
    assert set(first).isdisjoint(second)
    assert set(first) | set(second) == set(ids)
    assert store.claim("w2", total, LEASE, now=at(1)) == []
    assert count(db, AttemptRow) == total


# -- results ----------------------------------------------------------------------------------


def test_record_sent_stores_the_result(store: OutboxStore) -> None:
    [outbox_id] = enqueue(store)
    [claimed] = store.claim("w", 1, LEASE, now=T0)
    refused = SmtpReply(550, "No such user", "5.1.1")

    assert store.record_sent(
        claimed.lease,
        accepted=["bob@example.com"],
        rejected={"x@example.com": refused},
        response=OK,
        now=at(2),
    )

    stored = store.get(outbox_id)
    assert stored.status is MessageStatus.SENT
    assert stored.sent_at == at(2)
    assert stored.accepted == ("bob@example.com",)
    assert stored.rejected == {
        "x@example.com": {"code": 550, "enhancedCode": "5.1.1", "message": "No such user"}
    }
    assert stored.response == "250 2.0.0 Ok: queued as 4F2A"
    assert stored.next_attempt_at is None
    [attempt] = stored.attempts
    assert attempt.outcome is AttemptOutcome.SENT
    assert (attempt.finished_at, attempt.smtp_code, attempt.enhanced_code) == (at(2), 250, "2.0.0")
    assert store.claim("w", 1, LEASE, now=at(10_000)) == []


@pytest.mark.parametrize("names", [("slow", "fast"), ("same", "same")])
def test_a_holder_that_lost_its_lease_changes_nothing(
    store: OutboxStore, names: tuple[str, str]
) -> None:
    """Fenced on the claim, not on the worker's name: two processes that share a name (or
    one worker that claims its own message again) cannot report for each other."""
    [outbox_id] = enqueue(store)
    [slow] = store.claim(names[0], 1, LEASE, now=T0)
    [fast] = store.claim(names[1], 1, LEASE, now=at(LEASE + 1))
    before = store.get(outbox_id)

    late_failure = store.record_failure(
        slow.lease, error=ConnectFailed("refused"), policy=RetryPolicy(), now=at(70)
    )
    assert late_failure is None
    assert store.extend_leases([slow.lease], LEASE, now=at(70)) == set()
    assert store.release([slow.lease], now=at(70)) == 0
    assert store.get(outbox_id) == before

    assert store.record_sent(
        fast.lease, accepted=["bob@example.com"], rejected={}, response=OK, now=at(71)
    )
    # Once sent, nobody holds it: a second report is refused too.
    assert (
        store.record_failure(
            fast.lease, error=ConnectFailed("refused"), policy=RetryPolicy(), now=at(72)
        )
        is None
    )
    assert store.get(outbox_id).status is MessageStatus.SENT


def test_a_late_delivery_after_losing_the_lease_is_recorded_as_evidence(
    store: OutboxStore,
) -> None:
    """The slow holder's server took the message after the lease was taken over: the outbox
    must not claim a single copy."""
    [outbox_id] = enqueue(store)
    [slow] = store.claim("slow", 1, LEASE, now=T0)
    [fast] = store.claim("fast", 1, LEASE, now=at(LEASE + 1))
    assert store.record_sent(
        fast.lease, accepted=["bob@example.com"], rejected={}, response=OK, now=at(LEASE + 2)
    )

    late = store.record_sent(
        slow.lease, accepted=["bob@example.com"], rejected={}, response=OK, now=at(LEASE + 3)
    )

    assert late is False
    stored = store.get(outbox_id)
    assert stored.status is MessageStatus.SENT
    assert stored.outcome_unknown is True
    first, second = stored.attempts
    assert (first.outcome, first.error_code, first.smtp_code) == (
        AttemptOutcome.SENT,
        "lease_lost",
        250,
    )
    assert second.outcome is AttemptOutcome.SENT


def test_a_follow_up_is_committed_with_sent_or_not_at_all(store: OutboxStore) -> None:
    """F6: the recipients refused with a 4xx get their follow-up in the same transaction
    that marks the message sent; when the follow-up cannot be written, neither is 'sent'."""
    original = message(1, to="bob@example.com")
    [outbox_id] = store.enqueue("primary", [original], now=T0)
    [claimed] = store.claim("w", 1, LEASE, now=T0)
    grey = SmtpReply(450, "greylisted, try later", "4.2.0")
    envelope = replace(claimed.envelope, rcpt_to=("grey@example.com",))
    retry_later = ComposedMessage(claimed.data, envelope, claimed.message_id)
    report = {
        "accepted": ["bob@example.com"],
        "rejected": {"grey@example.com": grey},
        "response": OK,
    }

    clash = FollowUp(outbox_id, "primary", retry_later, 30)  # its id is taken: the insert fails
    with pytest.raises(IntegrityError):
        store.record_sent(claimed.lease, follow_up=clash, now=at(1), **report)
    assert store.get(outbox_id).status is MessageStatus.SENDING  # nothing half-written

    follow_up = FollowUp(new_message_id(), "primary", retry_later, 30)
    assert store.record_sent(claimed.lease, follow_up=follow_up, now=at(2), **report)
    sent = store.get(outbox_id)
    assert sent.status is MessageStatus.SENT
    assert sent.rejected["grey@example.com"]["retriedAs"] == follow_up.id
    queued = store.get(follow_up.id)
    assert (queued.status, queued.next_attempt_at) == (MessageStatus.QUEUED, at(32))
    assert (queued.rcpt_to, queued.message_id) == (("grey@example.com",), original.message_id)


def test_transient_failures_follow_the_retry_policy(store: OutboxStore) -> None:
    policy = RetryPolicy(max_attempts=3, initial_delay_seconds=30, multiplier=2, jitter=0.2)
    [outbox_id] = enqueue(store)
    transient = MessageRefused("Try later.", SmtpReply(451, "Try again later", "4.3.0"))

    [first] = store.claim("w", 1, LEASE, now=T0)
    status = store.record_failure(
        first.lease, error=transient, policy=policy, now=at(1), rng=random.Random(7)
    )
    first_delay = policy.delay_for(1, random.Random(7))
    assert status is MessageStatus.RETRYING
    stored = store.get(outbox_id)
    assert stored.next_attempt_at == at(1) + timedelta(seconds=first_delay)
    assert 24 <= first_delay <= 36
    assert stored.last_error == {
        "code": "message_refused",
        "message": "Try later.",
        "smtpCode": 451,
        "enhancedCode": "4.3.0",
        "retryable": True,
        "reason": "transient failure",
    }
    assert stored.attempts[0].outcome is AttemptOutcome.TRANSIENT
    assert stored.attempts[0].response == "451 4.3.0 Try again later"

    due = stored.next_attempt_at
    assert due is not None
    assert store.claim("w", 1, LEASE, now=due - timedelta(microseconds=1)) == []
    [again] = store.claim("w", 1, LEASE, now=due)
    assert again.attempt == 2
    store.record_failure(
        again.lease,
        error=ConnectFailed("refused"),
        policy=policy,
        now=due,
        rng=random.Random(8),
    )
    second_delay = policy.delay_for(2, random.Random(8))
    assert store.get(outbox_id).next_attempt_at == due + timedelta(seconds=second_delay)
    assert 48 <= second_delay <= 72

    third = due + timedelta(seconds=second_delay)
    [last] = store.claim("w", 1, LEASE, now=third)
    assert (
        store.record_failure(last.lease, error=transient, policy=policy, now=third)
        is MessageStatus.FAILED
    )
    stored = store.get(outbox_id)
    assert stored.next_attempt_at is None
    assert stored.last_error is not None
    assert stored.last_error["reason"] == "gave up after 3 attempts"
    assert [a.number for a in stored.attempts] == [1, 2, 3]
    assert [a.outcome for a in stored.attempts] == [AttemptOutcome.TRANSIENT] * 3
    assert [a.error_code for a in stored.attempts] == [
        "message_refused",
        "connect_failed",
        "message_refused",
    ]
    assert store.claim("w", 1, LEASE, now=at(10**6)) == []


def test_a_permanent_failure_fails_at_once(store: OutboxStore) -> None:
    [outbox_id] = enqueue(store)
    [claimed] = store.claim("w", 1, LEASE, now=T0)
    refused = RecipientsRefused({"bob@example.com": SmtpReply(550, "No such user", "5.1.1")})

    assert (
        store.record_failure(
            claimed.lease, error=refused, policy=RetryPolicy(max_attempts=10), now=at(1)
        )
        is MessageStatus.FAILED
    )

    stored = store.get(outbox_id)
    assert stored.status is MessageStatus.FAILED
    assert stored.last_error is not None
    assert stored.last_error["retryable"] is False
    assert stored.last_error["smtpCode"] == 550
    assert stored.last_error["refusals"] == {
        "bob@example.com": {"code": 550, "enhancedCode": "5.1.1", "message": "No such user"}
    }
    assert stored.attempts[0].outcome is AttemptOutcome.PERMANENT


def test_a_message_older_than_the_max_age_is_not_retried(store: OutboxStore) -> None:
    policy = RetryPolicy(max_age_seconds=3600, initial_delay_seconds=600, jitter=0)
    enqueue(store)
    [claimed] = store.claim("w", 1, LEASE, now=at(3000))
    assert (
        store.record_failure(
            claimed.lease, error=ConnectFailed("refused"), policy=policy, now=at(3001)
        )
        is MessageStatus.FAILED
    )


def test_an_unknown_outcome_is_recorded_and_kept(store: OutboxStore) -> None:
    [outbox_id] = enqueue(store)
    [first] = store.claim("w", 1, LEASE, now=T0)
    dropped = ConnectionDropped("The connection broke after the message was sent.")
    dropped.outcome_unknown = True

    status = store.record_failure(first.lease, error=dropped, policy=RetryPolicy(), now=at(1))

    assert status is MessageStatus.RETRYING
    stored = store.get(outbox_id)
    assert stored.outcome_unknown is True
    assert stored.attempts[0].outcome is AttemptOutcome.UNKNOWN
    assert stored.last_error is not None and stored.last_error["outcomeUnknown"] is True
    assert stored.next_attempt_at is not None
    [second] = store.claim("w", 1, LEASE, now=stored.next_attempt_at)
    store.record_sent(
        second.lease,
        accepted=["bob@example.com"],
        rejected={},
        response=OK,
        now=stored.next_attempt_at,
    )
    after = store.get(outbox_id)
    assert after.status is MessageStatus.SENT
    assert after.outcome_unknown is True  # the first attempt may have delivered it too
    assert [a.outcome for a in after.attempts] == [AttemptOutcome.UNKNOWN, AttemptOutcome.SENT]


# -- release and leases -----------------------------------------------------------------------


def test_release_gives_back_unstarted_messages(store: OutboxStore) -> None:
    [retried] = enqueue(store, when=at(0))
    [first] = store.claim("w", 1, LEASE, now=at(0))
    policy = RetryPolicy(initial_delay_seconds=30, jitter=0)
    store.record_failure(first.lease, error=ConnectFailed("x"), policy=policy, now=at(0))
    fresh = enqueue(store, 2, when=at(100))
    [theirs] = enqueue(store, when=at(150))
    mine = store.claim("w", 3, LEASE, now=at(200))
    assert {c.id: c.attempt for c in mine} == {retried: 2, fresh[0]: 1, fresh[1]: 1}
    store.claim("v", 3, LEASE, now=at(200))

    assert store.release({c.lease for c in mine}, now=at(201)) == 3

    for outbox_id in fresh:
        stored = store.get(outbox_id)
        assert (stored.status, stored.attempt_count) == (MessageStatus.QUEUED, 0)
        assert (stored.attempts, stored.next_attempt_at) == ((), at(201))
    stored = store.get(retried)
    assert (stored.status, stored.attempt_count) == (MessageStatus.RETRYING, 1)
    assert stored.next_attempt_at == at(201)
    assert [(a.number, a.outcome) for a in stored.attempts] == [(1, AttemptOutcome.TRANSIENT)]
    assert store.get(theirs).status is MessageStatus.SENDING  # another worker's lease
    assert store.release({c.lease for c in mine}) == 0
    again = store.claim("w2", 5, LEASE, now=at(201))
    assert {c.id: c.attempt for c in again} == {retried: 2, fresh[0]: 1, fresh[1]: 1}


def test_release_only_the_named_claims(store: OutboxStore) -> None:
    ids = enqueue(store, 3)
    mine = store.claim("w", 2, LEASE, now=T0)
    theirs = store.claim("w", 1, LEASE, now=T0)  # the same name: another process, another claim
    forged = Lease(theirs[0].id, mine[0].token, 1)  # my token on their message fences nothing

    assert store.release([mine[0].lease, forged], now=at(1)) == 1
    assert store.release([], now=at(1)) == 0

    assert store.get(mine[0].id).status is MessageStatus.QUEUED
    assert store.get(mine[1].id).status is MessageStatus.SENDING
    assert store.get(theirs[0].id).status is MessageStatus.SENDING
    assert sorted(c.id for c in (*mine, *theirs)) == sorted(ids)


def test_extending_leases_keeps_other_workers_away(store: OutboxStore) -> None:
    enqueue(store, 2)
    claimed = store.claim("w", 2, LEASE, now=T0)
    leases = {c.lease for c in claimed}
    assert store.extend_leases(leases, LEASE, now=at(50)) == leases
    assert store.extend_leases({Lease(c.id, "0" * 32, 1) for c in claimed}, LEASE) == set()
    assert store.claim("v", 2, LEASE, now=at(LEASE + 1)) == []
    again = store.claim("v", 2, LEASE, now=at(50 + LEASE + 1))
    assert sorted(c.id for c in again) == sorted(c.id for c in claimed)


# -- idempotency ------------------------------------------------------------------------------


def key(
    request_hash: str = "h1", name: str = "key-1", scope: str = "ak_1", ttl: float = 3600
) -> IdempotencyRequest:
    return IdempotencyRequest(scope=scope, key=name, request_hash=request_hash, ttl_seconds=ttl)


def test_a_repeated_key_replays_the_first_request(store: OutboxStore, db: Database) -> None:
    ids = enqueue(store, 2, idempotency=key())

    with pytest.raises(IdempotentReplay) as in_progress:
        enqueue(store, 2, idempotency=key(), when=at(1))
    assert in_progress.value.status_code is None
    assert in_progress.value.message_ids == tuple(ids)

    store.save_idempotent_response("ak_1", "key-1", 202, {"id": ids[0]})
    with pytest.raises(IdempotentReplay) as done:
        enqueue(store, 2, idempotency=key(), when=at(2))
    assert (done.value.status_code, done.value.response) == (202, {"id": ids[0]})
    assert count(db) == 2


def test_a_key_reused_with_another_request_is_refused(store: OutboxStore, db: Database) -> None:
    enqueue(store, idempotency=key("h1"))
    with pytest.raises(IdempotencyMismatch):
        enqueue(store, idempotency=key("h2"), when=at(1))
    enqueue(store, idempotency=key("h2", scope="ak_2"), when=at(1))  # another caller's key
    assert count(db) == 2


def test_an_expired_key_is_replaced(store: OutboxStore, db: Database) -> None:
    enqueue(store, idempotency=key("h1", ttl=60))
    second = enqueue(store, idempotency=key("h2", ttl=60), when=at(60))
    with pytest.raises(IdempotentReplay) as replay:
        enqueue(store, idempotency=key("h2", ttl=60), when=at(61))
    assert replay.value.message_ids == tuple(second)
    assert count(db) == 2
    assert count(db, IdempotencyKeyRow) == 1


def test_purge_deletes_only_expired_keys(store: OutboxStore, db: Database) -> None:
    enqueue(store, idempotency=key(name="a", ttl=10))
    enqueue(store, idempotency=key(name="b", ttl=100))
    assert store.purge_idempotency(now=at(10)) == 1
    assert count(db, IdempotencyKeyRow) == 1
    with pytest.raises(IdempotentReplay):
        enqueue(store, idempotency=key(name="b", ttl=100), when=at(11))


def test_concurrent_requests_with_one_key_enqueue_once(
    store: OutboxStore, db: Database, other_db: Database
) -> None:
    stores = [store, OutboxStore(other_db)]
    for round_ in range(5):
        request = key(name=f"race-{round_}")
        results = run_concurrently(
            *(lambda s=s, r=request: enqueue(s, 3, idempotency=r) for s in stores)
        )
        winners = [r for r in results if isinstance(r, list)]
        replays = [r for r in results if isinstance(r, IdempotentReplay)]
        assert len(winners) == 1 and len(replays) == 1, results
        assert replays[0].message_ids == tuple(winners[0])
    assert count(db) == 15


def test_a_key_committed_by_a_concurrent_request_is_replayed(
    store: OutboxStore, db: Database, other_db: Database, database_url: str
) -> None:
    """The loser of the race hits the primary key (PostgreSQL) or waits for the write lock
    (SQLite), then answers as a repeat of the winner's request."""
    with other_db.engine.connect() as rival:
        rival.begin()
        rival.execute(
            insert(IdempotencyKeyRow).values(
                scope="ak_1",
                key="key-1",
                request_hash="h1",
                message_ids=["msg_rival"],
                created_at=T0,
                expires_at=at(3600),
            )
        )
        with ThreadPoolExecutor(1) as pool:
            loser = pool.submit(enqueue, store, 1, idempotency=key("h1"))
            if database_url.startswith("postgresql"):
                _wait_for_lock_wait(other_db)
            rival.commit()
            with pytest.raises(IdempotentReplay) as replay:
                loser.result(timeout=30)
    assert replay.value.message_ids == ("msg_rival",)
    assert count(db) == 0


def _wait_for_lock_wait(db: Database) -> None:
    """Until some backend waits for a lock (the loser's INSERT blocked on the rival's row)."""
    deadline = time.monotonic() + 30
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        while time.monotonic() < deadline:
            if connection.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted")):
                return
            time.sleep(0.01)
    raise AssertionError("the concurrent INSERT never waited for the lock")


# -- operators --------------------------------------------------------------------------------


def test_cancel_and_retry_follow_the_state_rules(store: OutboxStore) -> None:
    a, b = enqueue(store, 2)

    cancelled = store.cancel(a, now=at(1))
    assert cancelled.status is MessageStatus.CANCELLED
    assert cancelled.next_attempt_at is None
    with pytest.raises(Conflict, match="is cancelled;"):
        store.cancel(a)
    with pytest.raises(Conflict, match="is queued;"):
        store.retry(b)
    [claimed_b] = store.claim("w", 5, LEASE, now=at(2))
    assert claimed_b.id == b
    with pytest.raises(Conflict, match="is sending;"):
        store.cancel(b)

    requeued = store.retry(a, now=at(3))
    assert (requeued.status, requeued.next_attempt_at) == (MessageStatus.QUEUED, at(3))
    store.record_failure(
        claimed_b.lease,
        error=MessageRefused("no", SmtpReply(554, "no")),
        policy=RetryPolicy(),
        now=at(3),
    )
    assert store.retry(b, now=at(4)).status is MessageStatus.QUEUED
    claimed = store.claim("w", 5, LEASE, now=at(4))
    assert sorted(c.id for c in claimed) == sorted([a, b])
    assert {c.id: c.attempt for c in claimed} == {a: 1, b: 2}
    for claimed_message in claimed:
        store.record_sent(claimed_message.lease, accepted=[], rejected={}, response=OK)
    with pytest.raises(Conflict, match="is sent;"):
        store.retry(a)
    with pytest.raises(Conflict, match="is sent;"):
        store.cancel(a)


def test_a_retrying_message_can_be_cancelled(store: OutboxStore) -> None:
    [outbox_id] = enqueue(store)
    [claimed] = store.claim("w", 1, LEASE, now=T0)
    store.record_failure(claimed.lease, error=ConnectFailed("x"), policy=RetryPolicy(), now=at(1))
    assert store.cancel(outbox_id).status is MessageStatus.CANCELLED
    assert store.claim("w", 1, LEASE, now=at(10**6)) == []


def test_unknown_ids_are_not_found(store: OutboxStore) -> None:
    for verb in (store.get, store.cancel, store.retry):
        with pytest.raises(MessageNotFound):
            verb("msg_nope")


def test_list_filters_and_pages_without_gaps_or_duplicates(store: OutboxStore) -> None:
    ids: dict[str, datetime] = {}
    for i in range(8):  # batches share created_at: the id breaks ties
        batch = store.enqueue(
            "primary" if i % 2 else "secondary", [message(j) for j in range(3)], now=at(i)
        )
        ids.update(dict.fromkeys(batch, at(i)))
    expected = sorted(ids, key=lambda m: (ids[m], m), reverse=True)

    seen: list[str] = []
    cursor: str | None = None
    for _ in range(10):
        page, cursor = store.list(limit=5, cursor=cursor)
        seen.extend(m.id for m in page)
        if cursor is None:
            break
    assert seen == expected
    page, cursor = store.list(limit=24)
    assert len(page) == 24 and cursor is None
    assert all(m.attempts == () for m in page)

    primary, _ = store.list(connection="primary", limit=100)
    assert [m.id for m in primary] == [m for m in expected if ids[m].second % 2]
    window, _ = store.list(since=at(2), until=at(4), limit=100)
    assert [m.id for m in window] == [m for m in expected if at(2) <= ids[m] < at(4)]

    store.cancel(expected[-1])
    cancelled, _ = store.list(status=MessageStatus.CANCELLED)
    assert [m.id for m in cancelled] == [expected[-1]]

    first, cursor = store.list(connection="secondary", limit=4)
    assert cursor is not None
    rest, end = store.list(connection="secondary", limit=4, cursor=cursor)
    assert [m.id for m in first + rest] == [m for m in expected if not ids[m].second % 2][:8]
    assert end is not None


@pytest.mark.parametrize("cursor", ["not base64 at all!", "bm8tc2VwYXJhdG9y", "eHx5"])
def test_a_foreign_cursor_is_invalid_input(store: OutboxStore, cursor: str) -> None:
    with pytest.raises(InvalidInput) as error:
        store.list(cursor=cursor)
    assert error.value.problems[0].field == "cursor"


def test_counts_include_every_status(store: OutboxStore) -> None:
    assert store.counts() == dict.fromkeys(MessageStatus, 0)
    first, *_ = enqueue(store, 3)
    store.cancel(first)
    store.claim("w", 1, LEASE, now=T0)
    assert store.counts() == {
        MessageStatus.QUEUED: 1,
        MessageStatus.SENDING: 1,
        MessageStatus.RETRYING: 0,
        MessageStatus.SENT: 0,
        MessageStatus.FAILED: 0,
        MessageStatus.CANCELLED: 1,
    }


# -- rate limits: the plan and the gate ------------------------------------------------------


def test_paced_messages_are_planned_one_interval_apart(store: OutboxStore) -> None:
    first = store.enqueue("primary", [message(i) for i in range(4)], pace=0.1, now=T0)
    second = store.enqueue("primary", [message(9)], pace=0.1, now=T0)
    other = store.enqueue("other", [message(9)], pace=0.1, now=T0)  # each connection has its own

    due = [store.get(i).next_attempt_at for i in (*first, *second, *other)]
    assert due == [T0 + timedelta(milliseconds=100 * k) for k in range(5)] + [T0]
    # Only the first is due now: the backlog is not claimable before its time.
    assert [c.id for c in store.claim("w", 10, LEASE, now=T0) if c.connection == "primary"] == [
        first[0]
    ]
    # Once the plan is in the past, the next message is due when it is enqueued.
    [late] = store.enqueue("primary", [message(10)], pace=0.1, now=at(5))
    assert store.get(late).next_attempt_at == at(5)


def test_the_gate_spaces_deliveries_and_gives_back_a_far_turn(store: OutboxStore) -> None:
    enqueue(store, 3)
    one, two, three = store.claim("w", 3, LEASE, now=T0)

    assert store.pass_gate(one.lease, "primary", 0.5, 1.0, now=T0) == Gate(0.0, None)
    assert store.pass_gate(two.lease, "primary", 0.5, 1.0, now=T0) == Gate(0.5, None)
    # The third turn is 1 s away, no more than the wait allowed: taken.
    assert store.pass_gate(three.lease, "primary", 0.5, 1.0, now=T0) == Gate(1.0, None)
    [four] = enqueue(store)
    [claimed] = store.claim("w", 1, LEASE, now=T0)
    gate = store.pass_gate(claimed.lease, "primary", 0.5, 1.0, now=T0)
    assert gate == Gate(0.0, at(1.5))  # 1.5 s away: given back, due then
    stored = store.get(four)
    assert (stored.status, stored.attempt_count, stored.attempts) == (
        MessageStatus.QUEUED,
        0,
        (),
    )
    assert stored.next_attempt_at == at(1.5)
    with pytest.raises(LeaseLost):
        store.pass_gate(claimed.lease, "primary", 0.5, 1.0, now=T0)


def test_gates_taken_by_concurrent_workers_never_coincide(
    store: OutboxStore, other_db: Database
) -> None:
    enqueue(store, 50)
    claimed = store.claim("w", 50, LEASE, now=T0)
    stores = [store, OutboxStore(other_db)]

    def take(s: OutboxStore, mine: list[Claimed]) -> list[float]:
        return [s.pass_gate(c.lease, "primary", 0.1, 10.0, now=T0).wait_seconds for c in mine]

    halves = (claimed[:25], claimed[25:])
    results = run_concurrently(
        *(lambda s=s, h=h: take(s, h) for s, h in zip(stores, halves, strict=True))
    )
    waits = sorted(w for r in results if isinstance(r, list) for w in r)
    assert waits == pytest.approx([0.1 * k for k in range(50)]), results


# -- schema -----------------------------------------------------------------------------------


def test_the_migration_downgrades_and_upgrades(db: Database) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    with db.engine.connect() as connection:
        tables = set(db.engine.dialect.get_table_names(connection))
    assert "messages" not in tables and "connections" in tables
    upgrade_schema(db.engine)
    store = OutboxStore(db)
    assert enqueue(store)


def test_messages_queued_before_the_bodies_moved_keep_their_bytes(db: Database) -> None:
    """0004 moves each message's bytes to ``message_bodies``: a message queued under 0003 is
    claimed afterwards with exactly the bytes it was queued with."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    queued = message(7)
    with db.engine.begin() as connection:
        messages = Table("messages", MetaData(), autoload_with=connection)
        row = records.message_rows("office", [queued], ["msg_before_0004"], at(0))[0]
        connection.execute(insert(messages), [row])
    upgrade_schema(db.engine)

    [claimed] = OutboxStore(db).claim("w", 10, LEASE, now=at(1))
    assert (claimed.id, claimed.data) == ("msg_before_0004", queued.data)
    with db.engine.begin() as connection:  # and back: the bytes return to their row
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    with db.engine.connect() as connection:
        data = connection.execute(text("SELECT data FROM messages")).scalar_one()
    assert bytes(data) == queued.data


def test_purge_finished_deletes_old_final_messages_and_their_attempts(
    store: OutboxStore, db: Database
) -> None:
    old_sent, old_queued = enqueue(store, 2, when=at(0))
    claims = store.claim("w", 10, 60, now=at(1))
    [claimed] = [c for c in claims if c.id == old_sent]
    store.release([c.lease for c in claims if c.id == old_queued], now=at(1))
    assert store.record_sent(
        claimed.lease,
        accepted=("bob@example.com",),
        rejected={},
        response=SmtpReply(250, "ok"),
        now=at(2),
    )
    [recent] = enqueue(store, 1, when=at(86_000))
    store.cancel(recent, now=at(86_000))
    assert count(db, AttemptRow) >= 1

    purged = store.purge_finished(timedelta(days=1), now=at(86_400 + 3))
    assert purged == 1
    with pytest.raises(MessageNotFound):
        store.get(old_sent)
    assert store.get(old_queued).status is MessageStatus.QUEUED  # not final: kept
    assert store.get(recent).status is MessageStatus.CANCELLED  # too recent: kept
    assert count_attempts_of(db, old_sent) == 0
    assert count(db, AttemptRow) == count_attempts_of(db, old_queued) + count_attempts_of(
        db, recent
    )
    assert count(db, MessageBodyRow) == 2  # the purged message's bytes went with it


def count_attempts_of(db: Database, message_id: str) -> int:
    with db.session() as session:
        return (
            session.scalar(
                select(func.count()).select_from(AttemptRow).where(AttemptRow.message == message_id)
            )
            or 0
        )
