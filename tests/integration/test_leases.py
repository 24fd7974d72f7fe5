"""Exactly one copy unless the outcome is honestly unknown: leases, their heartbeat and fences.

Each test runs a real SMTP server, a real database (SQLite and PostgreSQL) and the real worker
or API; a few break one store call once (a database error, injected) to reach a fault path.
Leases here are short (3 s, the smallest allowed) so that each test shows in seconds what the
default 30 s lease does in a minute; ``tests/acceptance`` runs the same promises with the
defaults.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient
from freezegun import freeze_time
from sqlalchemy.exc import OperationalError

from smtp_connector.config import Settings
from smtp_connector.connections import Connection
from smtp_connector.mail.compose import compose
from smtp_connector.mail.message import Address, Email
from smtp_connector.outbox.store import OutboxStore
from smtp_connector.outbox.types import AttemptOutcome, MessageStatus
from smtp_connector.runtime import Runtime, open_runtime
from smtp_connector.smtp.types import Security
from support.api import SEED, ServerFactory, add_connection, send, serving
from support.db import ENGINES
from support.smtp_server import Faults, SmtpTestServer
from support.waiting import wait_until

both_engines = pytest.mark.parametrize("database_url", ENGINES, indirect=True)

LEASE = 3.0
T = TypeVar("T")


@pytest.fixture
def short(settings: Settings) -> Settings:
    return settings.model_copy(update={"lease_seconds": LEASE, "poll_seconds": 0.05})


def fails_once(call: Callable[..., T]) -> Callable[..., T]:
    """``call``, except that its first use raises a database error."""
    state = {"failed": False}

    def flaky(*args: Any, **kwargs: Any) -> T:
        if not state["failed"]:
            state["failed"] = True
            raise OperationalError("injected", {}, Exception("the database went away"))
        return call(*args, **kwargs)

    return flaky


def fails_once_async(
    call: Callable[..., Awaitable[T]], state: dict[str, bool]
) -> Callable[..., Awaitable[T]]:
    """The coroutine function ``call``, except that its first use raises a database error
    (and sets ``state["failed"]``)."""
    state["failed"] = False

    async def flaky(*args: Any, **kwargs: Any) -> T:
        if not state["failed"]:
            state["failed"] = True
            raise OperationalError("injected", {}, Exception("the database went away"))
        return await call(*args, **kwargs)

    return flaky


def final(client: TestClient, location: str, timeout: float = 30) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        body: dict[str, Any] = client.get(location).json()
        return body if body["status"] in ("sent", "failed") else None

    return wait_until(done, timeout=timeout, every=0.1, what="a final status")


def email(i: int) -> Email:
    return Email(
        sender=Address("a@example.com"),
        to=(Address("b@example.com"),),
        subject=f"lease {i}",
        body="x",
    )


def copies(server: SmtpTestServer) -> dict[str, int]:
    counts: dict[str, int] = {}
    for received in server.messages:
        key = str(received.message["Message-ID"])
        counts[key] = counts.get(key, 0) + 1
    return counts


async def deliver_until_sent(runtime: Runtime, outbox_id: str) -> None:
    """Run ``runtime``'s worker until message ``outbox_id`` is recorded as sent, then stop it."""
    stop = asyncio.Event()
    run = asyncio.create_task(runtime.worker().run(stop))
    await asyncio.to_thread(
        wait_until,
        lambda: runtime.outbox.get(outbox_id).status is MessageStatus.SENT,
        timeout=30,
        what=f"{outbox_id} recorded as sent",
    )
    stop.set()
    await asyncio.wait_for(run, timeout=10)


def connect(runtime: Runtime, server: SmtpTestServer, **extra: Any) -> None:
    runtime.connections.create(
        Connection(
            name="slow",
            server=server.host,
            port=server.port,
            security=Security.NONE,
            timeout_seconds=20,
            **extra,
        ),
        None,
    )


# -- the API's own first attempt ------------------------------------------------------------


@both_engines
def test_a_slow_first_attempt_keeps_its_lease_and_is_sent_once(
    short: Settings, smtp_server_factory: ServerFactory
) -> None:
    """F1: the server takes longer than a lease to answer; a worker runs beside the API."""
    server = smtp_server_factory(faults=Faults(accept_slowly=2 * LEASE))
    settings = short.model_copy(update={"send_wait_seconds": 1})
    with serving(settings) as (client, _):
        add_connection(client, server, timeoutSeconds=20)
        response = send(client, SEED)
        assert response.status_code == 202
        message = final(client, response.headers["location"])

    assert len(server.messages) == 1
    assert message["status"] == "sent"
    assert message["outcomeUnknown"] is False
    assert [a["outcome"] for a in message["attempts"]] == ["sent"]


@both_engines
def test_a_burst_of_synchronous_sends_on_a_paced_connection_is_sent_once_each(
    short: Settings, smtp_server_factory: ServerFactory
) -> None:
    """F1: with one message a second, the later sends of a burst wait longer than a lease;
    those within ``SEND_WAIT_SECONDS`` wait in the API, the rest are left to the worker."""
    server = smtp_server_factory()
    settings = short.model_copy(update={"send_wait_seconds": 2})
    burst = 6
    with serving(settings) as (client, _):
        add_connection(client, server, rateLimit={"messages": 1, "perSeconds": 1})

        def one(i: int) -> Any:
            return send(client, {**SEED, "Subject": f"burst {i}"})

        with ThreadPoolExecutor(burst) as pool:
            responses = list(pool.map(one, range(burst)))
        # 200 when sent within the wait, else 202 (later slots are left to the worker).
        assert {r.status_code for r in responses} <= {200, 202}, [r.text for r in responses]
        messages = [final(client, f"/v1/messages/{r.json()['id']}", timeout=60) for r in responses]

    assert sorted(copies(server).values()) == [1] * burst
    assert all(m["status"] == "sent" and not m["outcomeUnknown"] for m in messages)
    times = sorted(m.received_at for m in server.messages)
    # One a second: a burst would give gaps near 0; the bound leaves room for a busy machine.
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.5


# -- the heartbeat ----------------------------------------------------------------------------


@both_engines
async def test_a_renewal_that_fails_once_does_not_stop_the_heartbeat(
    short: Settings, smtp_server_factory: ServerFactory
) -> None:
    """F3: the first renewal hits a database error; the next ones keep the lease, so another
    worker never takes the slow message over."""
    server = smtp_server_factory(faults=Faults(accept_slowly=3 * LEASE))
    slow, rival = open_runtime(short), open_runtime(short)
    connect(slow, server)
    [outbox_id] = slow.outbox.enqueue("slow", [compose(email(0))])
    slow.outbox.extend_leases = fails_once(slow.outbox.extend_leases)  # type: ignore[method-assign]
    stop = asyncio.Event()
    first = asyncio.create_task(slow.worker().run(stop))
    await asyncio.to_thread(server.wait_for_messages, 1)  # taken, not yet answered
    second = asyncio.create_task(rival.worker().run(stop))
    await asyncio.to_thread(
        wait_until,
        lambda: slow.outbox.get(outbox_id).status is MessageStatus.SENT,
        timeout=30,
        what="the slow message recorded as sent",
    )
    stop.set()
    await asyncio.wait_for(asyncio.gather(first, second), timeout=30)

    assert len(server.messages) == 1
    stored = slow.outbox.get(outbox_id)
    assert stored.outcome_unknown is False
    assert [a.outcome for a in stored.attempts] == [AttemptOutcome.SENT]
    await slow.close()
    await rival.close()


@both_engines
async def test_workers_that_share_a_name_never_release_each_others_messages(
    short: Settings, smtp_server_factory: ServerFactory
) -> None:
    """Two processes started with one WORKER_NAME: when one stops, it gives back only its own
    claims, not the other's messages in flight."""
    server = smtp_server_factory(faults=Faults(accept_slowly=2.0))
    named = short.model_copy(update={"worker_name": "shared"})
    busy, idle = open_runtime(named), open_runtime(named)
    connect(busy, server)
    ids = busy.outbox.enqueue("slow", [compose(email(i)) for i in range(3)])
    busy_stop, idle_stop = asyncio.Event(), asyncio.Event()
    busy_run = asyncio.create_task(busy.worker().run(busy_stop))
    await asyncio.to_thread(server.wait_for_messages, 3)  # all three being answered
    idle_run = asyncio.create_task(idle.worker().run(idle_stop))
    await asyncio.sleep(0.2)  # the idle worker polls a few times and finds nothing to claim
    idle_stop.set()
    await asyncio.wait_for(idle_run, timeout=10)
    await asyncio.to_thread(
        wait_until,
        lambda: all(busy.outbox.get(i).status is MessageStatus.SENT for i in ids),
        timeout=30,
        what="three messages sent",
    )
    busy_stop.set()
    await asyncio.wait_for(busy_run, timeout=30)

    assert sorted(copies(server).values()) == [1, 1, 1]
    assert all(not busy.outbox.get(i).outcome_unknown for i in ids)
    await busy.close()
    await idle.close()


# -- recording outcomes -----------------------------------------------------------------------


@both_engines
async def test_an_outcome_is_recorded_once_the_database_is_back(
    short: Settings, smtp_server_factory: ServerFactory
) -> None:
    """The server took the message, then recording it failed once: it is written again, and
    the message is sent once, its outcome known."""
    server = smtp_server_factory()
    runtime = open_runtime(short)
    connect(runtime, server)
    [outbox_id] = runtime.outbox.enqueue("slow", [compose(email(0))])
    outbox, fault = runtime.outbox, {"failed": False}
    outbox.record_sent_async = fails_once_async(outbox.record_sent_async, fault)  # type: ignore[method-assign]
    await deliver_until_sent(runtime, outbox_id)

    assert fault["failed"]
    assert len(server.messages) == 1
    assert runtime.outbox.get(outbox_id).outcome_unknown is False
    await runtime.close()


@both_engines
async def test_a_stopping_worker_never_requeues_a_message_it_may_have_delivered(
    short: Settings, smtp_server_factory: ServerFactory
) -> None:
    """F5: the server took the message but the database would not record it; the worker is
    told to stop. The message is not put back as if never tried: the next worker finds it
    after the lease and says a duplicate is possible."""
    server = smtp_server_factory()
    first, second = open_runtime(short), open_runtime(short)
    connect(first, server)
    [outbox_id] = first.outbox.enqueue("slow", [compose(email(0))])

    async def unreachable(*args: Any, **kwargs: Any) -> bool:
        raise OperationalError("injected", {}, Exception("the database went away"))

    first.outbox.record_sent_async = unreachable  # type: ignore[method-assign]
    stop = asyncio.Event()
    run = asyncio.create_task(first.worker().run(stop))
    await asyncio.to_thread(server.wait_for_messages, 1)
    stop.set()
    await asyncio.wait_for(run, timeout=30)
    assert first.outbox.get(outbox_id).status is MessageStatus.SENDING  # not given back

    await deliver_until_sent(second, outbox_id)  # after the first one's lease ran out

    stored = second.outbox.get(outbox_id)
    assert len(server.messages) == 2
    assert stored.outcome_unknown is True
    assert [(a.number, a.outcome) for a in stored.attempts] == [
        (1, AttemptOutcome.UNKNOWN),
        (2, AttemptOutcome.SENT),
    ]
    await first.close()
    await second.close()


# -- the clock --------------------------------------------------------------------------------


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_process_whose_clock_runs_ahead_cannot_take_over_a_live_lease(short: Settings) -> None:
    """Leases are read on the database's clock: a process whose own clock (every clock
    Python reads, moved by freezegun) is an hour ahead sees them live."""
    runtime = open_runtime(short)
    store = runtime.outbox
    store.enqueue("any", [compose(email(0))])
    [held] = store.claim("honest", 1, LEASE)
    real = datetime.now(UTC)

    with freeze_time(real + timedelta(hours=1), tick=True):
        assert datetime.now(UTC) - real > timedelta(minutes=59)  # this process is ahead
        ahead = OutboxStore(runtime.db)
        assert ahead.claim("ahead", 1, LEASE) == []
        assert ahead.extend_leases({held.lease}, LEASE) == {held.lease}
    runtime.db.dispose()
