"""The delivery side of the outbox: what workers do with messages they lease.

Workers, possibly in many processes on many machines sharing PostgreSQL, take messages with
``claim``. Each claim draws a fresh token; every later report on the message (``record_sent``,
``record_failure``, ``extend_leases``, ``release``, ``pass_gate``) names the claim by its
``Lease`` (message id, token, attempt) and changes nothing once the lease was taken over. Lease
expiry and due times are read on the database's clock.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from smtp_connector.errors import DeliveryError
from smtp_connector.mail.replies import SmtpReply
from smtp_connector.outbox import queries as q
from smtp_connector.outbox import records
from smtp_connector.outbox.base import OutboxBase
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


def new_token() -> str:
    """A claim's fence token: 128 random bits."""
    return secrets.token_hex(16)


class OutboxLeases(OutboxBase):
    """Worker verbs: claim, record the outcome (fenced), release, extend, pass the rate gate."""

    def claim(
        self, worker: str, limit: int, lease_seconds: float, now: datetime | None = None
    ) -> list[Claimed]:
        """Lease up to ``limit`` due messages to ``worker``, oldest due first.

        Due: queued or retrying with ``next_attempt_at <= now``, or sending with an expired
        lease (its holder died or stalled: that stale attempt is closed as ``unknown`` and the
        message marked ``outcome_unknown``). Each claimed message gets ``attempt_count + 1``
        and an open attempt row with that number.
        """
        if limit <= 0:
            return []
        token = new_token()

        def unit(session: Session) -> list[Claimed]:
            stamp = self._now(session, now)
            params = {
                "b_worker": worker,
                "b_token": token,
                "b_limit": limit,
                "b_now": stamp,
                "b_expires": stamp + timedelta(seconds=lease_seconds),
            }
            # Expired leases first: with a standing backlog they would otherwise wait forever.
            rows = list(session.execute(q.CLAIM_EXPIRED, params).all())
            stale = {r.id for r in rows}
            if stale:
                session.execute(q.CLOSE_STALE_ATTEMPTS, {"b_ids": list(stale), "b_now": stamp})
            if len(rows) < limit:
                params["b_limit"] = limit - len(rows)
                rows.extend(session.execute(q.CLAIM_DUE, params).all())
            if not rows:
                return []
            opened = [
                {"message": r.id, "number": r.attempt_count, "worker": worker, "started_at": stamp}
                for r in rows
            ]
            session.execute(q.OPEN_ATTEMPTS, opened)
            data = q.bodies(session, [r.id for r in rows])
            ordered = sorted(rows, key=lambda r: (r.next_attempt_at or stamp, r.id))
            return [
                records.claimed_from(r, data[r.id], token, reclaimed=r.id in stale) for r in ordered
            ]

        return self._write(unit)

    def extend_leases(
        self, leases: Collection[Lease], lease_seconds: float, now: datetime | None = None
    ) -> set[Lease]:
        """Push back the expiry of the claims ``leases``; returns those still held (the others
        were taken over, or finished)."""
        if not leases:
            return set()
        with self._db.session() as session:
            expires = self._now(session, now) + timedelta(seconds=lease_seconds)
            held = session.execute(
                q.EXTEND_LEASES, {"b_leases": _pairs(leases), "b_expires": expires}
            ).all()
        return {Lease(r.id, r.lease_token, r.attempt_count) for r in held}

    def record_sent(
        self,
        lease: Lease,
        *,
        accepted: Iterable[str],
        rejected: Mapping[str, SmtpReply],
        response: SmtpReply,
        follow_up: FollowUp | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Mark the message sent, and commit ``follow_up`` (the recipients refused with a 4xx,
        named in ``rejected`` as ``retriedAs``) in the same transaction.

        False when the lease was taken over: the message may then have been delivered twice,
        so it is marked ``outcome_unknown`` and this attempt's record says it delivered.
        """
        return self._write(self._sent(lease, accepted, rejected, response, follow_up, now))

    async def record_sent_async(
        self,
        lease: Lease,
        *,
        accepted: Iterable[str],
        rejected: Mapping[str, SmtpReply],
        response: SmtpReply,
        follow_up: FollowUp | None = None,
    ) -> bool:
        """``record_sent`` from a coroutine (through the group commit)."""
        return await self._write_async(
            self._sent(lease, accepted, rejected, response, follow_up, None)
        )

    def _sent(
        self,
        lease: Lease,
        accepted: Iterable[str],
        rejected: Mapping[str, SmtpReply],
        response: SmtpReply,
        follow_up: FollowUp | None,
        now: datetime | None,
    ) -> Callable[[Session], bool]:
        rejected_json = records.rejected_json(rejected)
        if follow_up is not None:
            for address in follow_up.message.envelope.rcpt_to:
                rejected_json[address] = {**rejected_json[address], "retriedAs": follow_up.id}
        accepted = list(accepted)
        one_statement = self._db.dialect == "postgresql"

        def unit(session: Session) -> bool:
            stamp = self._now(session, now)
            closing = records.closed_attempt(AttemptOutcome.SENT, response)
            params = {
                "b_id": lease.id,
                "b_token": lease.token,
                "b_now": stamp,
                "b_accepted": accepted,
                "b_rejected": rejected_json,
            } | closing
            connection = session.connection()  # Core statements, without the ORM's autoflush
            if one_statement:
                number = connection.execute(q.RECORD_SENT_CLOSING, params).scalar()
            else:
                number = connection.execute(q.RECORD_SENT, params).scalar()
                if number is not None:
                    connection.execute(q.CLOSE_ATTEMPT, params | {"b_number": number})
            if number is None:
                session.execute(q.MARK_UNKNOWN, {"b_id": lease.id})
                late = {"b_id": lease.id, "b_number": lease.attempt}
                late |= {k: closing[k] for k in ("b_smtp_code", "b_enhanced_code", "b_response")}
                session.execute(q.LATE_SENT, late)
                return False
            if follow_up is not None:
                self._insert_follow_up(session, follow_up, stamp)
            return True

        return unit

    @staticmethod
    def _insert_follow_up(session: Session, follow_up: FollowUp, now: datetime) -> None:
        due = now + timedelta(seconds=follow_up.delay_seconds)
        [row] = records.message_rows(
            follow_up.connection, [follow_up.message], [follow_up.id], now, due=[due]
        )
        q.insert_messages(session, [row])

    def record_failure(
        self,
        lease: Lease,
        *,
        error: DeliveryError,
        policy: RetryPolicy,
        now: datetime | None = None,
        rng: random.Random | None = None,
    ) -> MessageStatus | None:
        """Record a failed attempt, then retry per ``policy`` or fail. Returns the new status,
        or None (and no change) when the lease was taken over.

        ``error.outcome_unknown`` (the server may have the message) marks the message, for
        good, as possibly delivered more than once: also when the lease was lost.
        """
        return self._write(self._failure(lease, error, policy, now, rng))

    async def record_failure_async(
        self, lease: Lease, *, error: DeliveryError, policy: RetryPolicy
    ) -> MessageStatus | None:
        """``record_failure`` from a coroutine (through the group commit)."""
        return await self._write_async(self._failure(lease, error, policy, None, None))

    def _failure(
        self,
        lease: Lease,
        error: DeliveryError,
        policy: RetryPolicy,
        now: datetime | None,
        rng: random.Random | None,
    ) -> Callable[[Session], MessageStatus | None]:
        def unit(session: Session) -> MessageStatus | None:
            stamp = self._now(session, now)
            row = session.execute(q.LOCK_HELD, {"b_id": lease.id, "b_token": lease.token}).first()
            if row is None:
                if error.outcome_unknown:
                    session.execute(q.MARK_UNKNOWN, {"b_id": lease.id})
                return None
            decision = policy.decide(
                attempt=row.attempt_count,
                retryable=error.retryable,
                queued_at=row.created_at,
                now=stamp,
                rng=rng,
            )
            status = MessageStatus.RETRYING if decision.retry else MessageStatus.FAILED
            retry_at = stamp + timedelta(seconds=decision.delay_seconds) if decision.retry else None
            session.execute(
                q.RECORD_FAILURE,
                {
                    "b_id": lease.id,
                    "b_status": status.value,
                    "b_next": retry_at,
                    "b_now": stamp,
                    "b_error": records.error_json(error, decision.reason),
                    "b_unknown": bool(row.outcome_unknown) or error.outcome_unknown,
                },
            )
            closing = records.failed_attempt(error)
            params = {"b_id": lease.id, "b_number": row.attempt_count, "b_now": stamp} | closing
            session.execute(q.CLOSE_ATTEMPT, params)
            return status

        return unit

    def release(self, leases: Collection[Lease], now: datetime | None = None) -> int:
        """Give back claims whose attempt never began (a stopping worker's): each message is
        due now again, queued if it never had an attempt, else retrying, with one attempt
        fewer and the claim's open attempt deleted. Returns how many were still held."""
        if not leases:
            return 0
        with self._db.session() as session:
            now = self._now(session, now)
            params = {"b_leases": _pairs(leases), "b_at": now, "b_now": now}
            given_back = session.execute(q.RELEASE, params).all()
            _delete_open_attempts(session, given_back)
            return len(given_back)

    def pass_gate(
        self,
        lease: Lease,
        connection: str,
        interval_seconds: float,
        max_wait_seconds: float,
        now: datetime | None = None,
    ) -> Gate:
        """Take the rate-limited ``connection``'s gate for the leased message: the time its
        delivery may start, at most ``max_wait_seconds`` away; or, when the gate opens later,
        give the claim back with the message due then (a message never holds a worker while it
        waits for long). Raises LeaseLost."""
        with self._db.session() as session:
            now = self._now(session, now)
            if (
                session.execute(q.LOCK_HELD, {"b_id": lease.id, "b_token": lease.token}).first()
                is None
            ):
                raise LeaseLost(lease)
            interval = timedelta(seconds=interval_seconds)
            wait = timedelta(seconds=max_wait_seconds)
            start = q.pass_gate(session, connection, interval, now, wait)
            if start - now <= wait:
                return Gate((start - now).total_seconds(), None)
            params = {"b_id": lease.id, "b_token": lease.token, "b_at": start, "b_now": now}
            _delete_open_attempts(session, session.execute(q.DEFER, params).all())
            return Gate(0.0, start)


def _pairs(leases: Iterable[Lease]) -> list[tuple[str, str]]:
    return [(lease.id, lease.token) for lease in leases]


def _delete_open_attempts(session: Session, given_back: Iterable[Any]) -> None:
    """Delete the attempts opened by claims just given back (rows of ``id``, and the
    ``attempt_count`` after the give-back, one below the claim's attempt)."""
    opened = [{"b_message": r.id, "b_number": r.attempt_count + 1} for r in given_back]
    if opened:
        session.execute(q.DELETE_OPEN_ATTEMPT, opened)
