"""The delivery side of the outbox: what workers do with messages they lease.

Workers, possibly in many processes on many machines sharing PostgreSQL, take messages with
``claim`` (a lease) and report with ``record_sent``/``record_failure``; those two are fenced: a
worker whose lease was taken over changes nothing. ``release`` gives leased messages back,
``extend_leases`` keeps them, and ``reserve_slot`` paces deliveries per connection.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from smtp_connector.errors import DeliveryError
from smtp_connector.mail.replies import SmtpReply
from smtp_connector.outbox import queries as q
from smtp_connector.outbox import records
from smtp_connector.outbox.base import OutboxBase, utc_now
from smtp_connector.outbox.types import AttemptOutcome, Claimed, MessageStatus, RetryPolicy


class OutboxLeases(OutboxBase):
    """Worker verbs: claim, record the outcome (fenced), release, extend, reserve a slot."""

    def claim(
        self, worker: str, limit: int, lease_seconds: float, now: datetime | None = None
    ) -> list[Claimed]:
        """Lease up to ``limit`` due messages to ``worker``, oldest due first.

        Due: queued or retrying with ``next_attempt_at <= now``, or sending with an expired
        lease (its worker died: that stale attempt is closed as ``unknown``). Each claimed
        message gets ``attempt_count + 1`` and an open attempt row with that number.
        """
        if limit <= 0:
            return []
        now = utc_now(now)
        expires = now + timedelta(seconds=lease_seconds)
        params = {"b_worker": worker, "b_limit": limit, "b_now": now, "b_expires": expires}
        with self._db.session() as session:
            # Expired leases first: with a standing backlog they would otherwise wait forever.
            rows = list(session.execute(q.CLAIM_EXPIRED, params).all())
            if rows:
                stale = [r.id for r in rows]
                session.execute(q.CLOSE_STALE_ATTEMPTS, {"b_ids": stale, "b_now": now})
            if len(rows) < limit:
                params["b_limit"] = limit - len(rows)
                rows.extend(session.execute(q.CLAIM_DUE, params).all())
            if not rows:
                return []
            opened = [
                {"message": r.id, "number": r.attempt_count, "worker": worker, "started_at": now}
                for r in rows
            ]
            session.execute(q.OPEN_ATTEMPTS, opened)
        ordered = sorted(rows, key=lambda r: (r.next_attempt_at or now, r.id))
        return [records.claimed_from(r) for r in ordered]

    def extend_leases(
        self,
        worker: str,
        lease_seconds: float,
        ids: Iterable[str] | None = None,
        now: datetime | None = None,
    ) -> int:
        """Push back the lease expiry of ``worker``'s messages (all, or ``ids``); returns how
        many it still holds."""
        params: dict[str, Any] = {
            "b_worker": worker,
            "b_expires": utc_now(now) + timedelta(seconds=lease_seconds),
        }
        statement = q.EXTEND_LEASES
        if ids is not None:
            statement, params["b_ids"] = q.EXTEND_LISTED_LEASES, list(ids)
        with self._db.session() as session:
            return len(session.execute(statement, params).all())

    def record_sent(
        self,
        id: str,
        worker: str,
        *,
        accepted: Iterable[str],
        rejected: Mapping[str, SmtpReply],
        response: SmtpReply,
        now: datetime | None = None,
    ) -> bool:
        """Mark the message sent. False (and no change) when ``worker`` no longer holds it."""
        now = utc_now(now)
        with self._db.session() as session:
            number = session.execute(
                q.RECORD_SENT,
                {
                    "b_id": id,
                    "b_worker": worker,
                    "b_now": now,
                    "b_accepted": list(accepted),
                    "b_rejected": records.rejected_json(rejected),
                    "b_response": str(response),
                },
            ).scalar()
            if number is None:
                return False
            closing = records.closed_attempt(AttemptOutcome.SENT, response)
            session.execute(
                q.CLOSE_ATTEMPT, {"b_id": id, "b_number": number, "b_now": now} | closing
            )
            return True

    def record_failure(
        self,
        id: str,
        worker: str,
        *,
        error: DeliveryError,
        policy: RetryPolicy,
        now: datetime | None = None,
        rng: random.Random | None = None,
    ) -> MessageStatus | None:
        """Record a failed attempt, then retry per ``policy`` or fail. Returns the new status,
        or None (and no change) when ``worker`` no longer holds the message.

        ``error.outcome_unknown`` (the server may have the message) marks the message, for
        good, as possibly delivered more than once.
        """
        now = utc_now(now)
        with self._db.session() as session:
            row = session.execute(q.LOCK_HELD, {"b_id": id, "b_worker": worker}).first()
            if row is None:
                return None
            decision = policy.decide(
                attempt=row.attempt_count,
                retryable=error.retryable,
                queued_at=row.created_at,
                now=now,
                rng=rng,
            )
            status = MessageStatus.RETRYING if decision.retry else MessageStatus.FAILED
            retry_at = now + timedelta(seconds=decision.delay_seconds) if decision.retry else None
            session.execute(
                q.RECORD_FAILURE,
                {
                    "b_id": id,
                    "b_status": status.value,
                    "b_next": retry_at,
                    "b_now": now,
                    "b_error": records.error_json(error, decision.reason),
                    "b_unknown": bool(row.outcome_unknown) or error.outcome_unknown,
                },
            )
            closing = records.failed_attempt(error)
            params = {"b_id": id, "b_number": row.attempt_count, "b_now": now} | closing
            session.execute(q.CLOSE_ATTEMPT, params)
            return status

    def release(
        self, worker: str, ids: Iterable[str] | None = None, now: datetime | None = None
    ) -> int:
        """Give back ``worker``'s leased messages (all, or ``ids``) that it did not start.

        Each becomes due at ``now`` again (queued if it never had an attempt, else retrying);
        its open attempt is deleted and ``attempt_count`` goes back down. Returns how many.
        """
        params: dict[str, Any] = {"b_worker": worker, "b_now": utc_now(now)}
        statement = q.RELEASE
        if ids is not None:
            statement, params["b_ids"] = q.RELEASE_LISTED, list(ids)
            if not params["b_ids"]:
                return 0
        with self._db.session() as session:
            released = session.execute(statement, params).scalars().all()
            if released:
                session.execute(q.DELETE_OPEN_ATTEMPTS, {"b_ids": list(released)})
            return len(released)

    def reserve_slot(
        self, connection: str, interval_seconds: float, now: datetime | None = None
    ) -> datetime:
        """Reserve the next delivery slot of ``connection`` (GCRA, burst 1, all processes).

        Atomically ``next_at = max(next_at, now) + interval``; returns the reserved slot's
        start, ``max(old next_at, now)``: the caller waits until then before sending.
        """
        interval = timedelta(seconds=interval_seconds)
        with self._db.session() as session:
            return q.reserve_slot(session, connection, interval, utc_now(now))
