"""Group commit against real databases: many callers' units of work in one transaction, each
caller answered only after the commit that holds its work, and a failing unit costing only its
own caller.

The batches are made deterministic, never timed: a first unit holds the writer thread on an
event until the others are queued behind it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smtp_connector.mail.compose import compose
from smtp_connector.mail.message import Address, ComposedMessage, Email
from smtp_connector.outbox.store import OutboxStore
from smtp_connector.store.db import Database, upgrade_schema
from smtp_connector.store.group_commit import GroupCommit
from smtp_connector.store.models import MessageRow
from support.db import ENGINES

pytestmark = pytest.mark.parametrize("database_url", ENGINES, indirect=True)

WAIT = 30.0


def message(n: int) -> ComposedMessage:
    return compose(
        Email(
            sender=Address("alice@example.com"),
            to=(Address("bob@example.com"),),
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
def group(db: Database) -> Iterator[GroupCommit]:
    writes = GroupCommit(db)
    yield writes
    writes.close()


def stored(database_url: str) -> int:
    """Messages in the outbox, read through a connection of its own."""
    other = Database(database_url)
    try:
        with other.reading() as session:
            return session.scalar(select(func.count()).select_from(MessageRow)) or 0
    finally:
        other.dispose()


def hold(group: GroupCommit) -> tuple[threading.Event, Future[None]]:
    """A unit that keeps the writer thread busy until the returned event is set."""
    started, release = threading.Event(), threading.Event()

    def wait(_session: Session) -> None:
        started.set()
        release.wait(WAIT)

    held = group.submit(wait)
    assert started.wait(WAIT)
    return release, held


def enqueue_in_threads(
    outbox: OutboxStore, group: GroupCommit, numbers: range
) -> tuple[list[threading.Thread], list[str]]:
    """Threads calling ``enqueue`` (each blocks until its commit); returns once all of them
    have queued their unit."""
    ids: list[str] = []
    queued_before = group.pending
    threads = [
        threading.Thread(target=lambda n=n: ids.extend(outbox.enqueue("office", [message(n)])))
        for n in numbers
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + WAIT
    while group.pending < queued_before + len(numbers) and time.monotonic() < deadline:
        time.sleep(0.001)
    assert group.pending == queued_before + len(numbers)
    return threads, ids


def join(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(WAIT)
    assert not any(thread.is_alive() for thread in threads)


def test_units_queued_together_commit_together(
    db: Database, group: GroupCommit, database_url: str
) -> None:
    outbox = OutboxStore(db, group)
    release, held = hold(group)
    threads, ids = enqueue_in_threads(outbox, group, range(40))
    assert not ids and stored(database_url) == 0  # nobody is answered before the commit
    release.set()
    held.result(WAIT)
    join(threads)

    assert len(set(ids)) == 40
    assert stored(database_url) == 40
    assert group.units == 41
    assert group.commits == 2  # the holding unit's, then one for all forty


def test_a_failing_unit_fails_alone(db: Database, group: GroupCommit, database_url: str) -> None:
    outbox = OutboxStore(db, group)
    release, _held = hold(group)
    before, ids = enqueue_in_threads(outbox, group, range(3))

    def broken(session: Session) -> None:
        session.execute(select(func.no_such_function()))

    failing = group.submit(broken)
    after, more_ids = enqueue_in_threads(outbox, group, range(3, 6))
    release.set()

    with pytest.raises(Exception, match="no_such_function"):
        failing.result(WAIT)
    join(before + after)
    assert len(ids) + len(more_ids) == 6
    assert stored(database_url) == 6


async def test_a_coroutine_awaits_its_commit_without_a_thread(
    db: Database, group: GroupCommit, database_url: str
) -> None:
    outbox = OutboxStore(db, group)
    ids = await asyncio.gather(*(outbox.enqueue_async("office", [message(n)]) for n in range(20)))

    assert len({i for [i] in ids}) == 20
    assert stored(database_url) == 20
    assert group.units == 20
    assert group.commits <= 20


async def until_pending(group: GroupCommit, count: int) -> None:
    """Wait (bounded) until ``count`` units are queued behind the writer."""
    deadline = time.monotonic() + WAIT
    while group.pending < count and time.monotonic() < deadline:
        await asyncio.sleep(0.001)
    assert group.pending == count


async def test_coroutines_of_one_batch_each_hear_their_own_outcome(
    db: Database, group: GroupCommit, database_url: str
) -> None:
    outbox = OutboxStore(db, group)
    release, held = hold(group)
    before = [asyncio.create_task(outbox.enqueue_async("office", [message(n)])) for n in range(5)]

    def broken(session: Session) -> None:
        session.execute(select(func.no_such_function()))

    failing = asyncio.create_task(group.run_async(broken))
    after = [asyncio.create_task(outbox.enqueue_async("office", [message(n)])) for n in range(5)]
    await until_pending(group, 11)
    release.set()
    held.result(WAIT)

    with pytest.raises(Exception, match="no_such_function"):
        await asyncio.wait_for(failing, WAIT)
    ids = await asyncio.wait_for(asyncio.gather(*before, *after), WAIT)
    assert len({i for [i] in ids}) == 10
    assert stored(database_url) == 10


async def test_a_coroutine_cancelled_while_queued_leaves_its_unit_out(
    db: Database, group: GroupCommit, database_url: str
) -> None:
    outbox = OutboxStore(db, group)
    release, held = hold(group)
    kept = asyncio.create_task(outbox.enqueue_async("office", [message(1)]))
    dropped = asyncio.create_task(outbox.enqueue_async("office", [message(2)]))
    await until_pending(group, 2)
    dropped.cancel()
    await asyncio.sleep(0)
    release.set()
    held.result(WAIT)

    [kept_id] = await asyncio.wait_for(kept, WAIT)
    assert dropped.cancelled()
    assert stored(database_url) == 1
    assert outbox.get(kept_id).id == kept_id


def test_close_commits_what_is_queued_and_a_later_unit_starts_it_again(
    db: Database, group: GroupCommit, database_url: str
) -> None:
    outbox = OutboxStore(db, group)
    release, _held = hold(group)
    threads, _ids = enqueue_in_threads(outbox, group, range(5))
    closing = threading.Thread(target=group.close)
    closing.start()
    release.set()
    closing.join(WAIT)
    join(threads)

    assert not closing.is_alive()
    assert stored(database_url) == 5
    assert outbox.enqueue("office", [message(5)])
    assert stored(database_url) == 6
