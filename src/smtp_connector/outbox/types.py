"""The outbox's vocabulary: statuses, the retry policy and its decisions, stored messages."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from smtp_connector.mail.message import ComposedMessage, Envelope


class MessageStatus(StrEnum):
    """One vocabulary for the API, the database, the UI and the metrics."""

    QUEUED = "queued"
    SENDING = "sending"
    RETRYING = "retrying"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in (MessageStatus.SENT, MessageStatus.FAILED, MessageStatus.CANCELLED)


class AttemptOutcome(StrEnum):
    SENT = "sent"
    TRANSIENT = "transient"
    PERMANENT = "permanent"
    UNKNOWN = "unknown"
    """The connection broke after the final dot: the server may or may not have the message."""


@dataclass(frozen=True)
class RetryDecision:
    retry: bool
    delay_seconds: float
    reason: str


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, bounded by attempts and by the message's age."""

    max_attempts: int = 10
    initial_delay_seconds: float = 30.0
    multiplier: float = 2.0
    max_delay_seconds: float = 3600.0
    max_age_seconds: float = 86400.0
    jitter: float = 0.2
    """Each delay is scaled by a random factor in [1 - jitter, 1 + jitter]."""

    def delay_for(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        exponent = min(max(attempt - 1, 0), 64)  # 2**64 times any delay is past any cap
        base = min(self.max_delay_seconds, self.initial_delay_seconds * self.multiplier**exponent)
        spread = (rng or random).uniform(1 - self.jitter, 1 + self.jitter)
        return max(0.0, base * spread)

    def decide(
        self,
        *,
        attempt: int,
        retryable: bool,
        queued_at: datetime,
        now: datetime,
        rng: random.Random | None = None,
    ) -> RetryDecision:
        """Whether to try again after failed attempt ``attempt``, and when."""
        if not retryable:
            return RetryDecision(False, 0.0, "permanent failure")
        if attempt >= self.max_attempts:
            return RetryDecision(False, 0.0, f"gave up after {attempt} attempts")
        delay = self.delay_for(attempt, rng)
        if now + timedelta(seconds=delay) - queued_at > timedelta(seconds=self.max_age_seconds):
            return RetryDecision(False, 0.0, f"older than {self.max_age_seconds:g} s")
        return RetryDecision(True, delay, "transient failure")


@dataclass(frozen=True)
class Lease:
    """One claim of one message: what its holder must show to report on it (the fence).

    ``token`` is drawn afresh for every claim, so a holder whose lease was taken over (even by
    a process with the same worker name, or by itself) can no longer change the message.
    """

    id: str
    token: str
    attempt: int
    """The attempt this claim opened."""


@dataclass(frozen=True)
class Gate:
    """A rate-limited delivery's turn: start after ``wait_seconds``; or, when ``deferred_to``
    is set, the claim was given back and the message is due then."""

    wait_seconds: float
    deferred_to: datetime | None


class LeaseLost(Exception):
    """The claim was taken over (its lease expired): its holder must not send the message."""

    def __init__(self, lease: Lease) -> None:
        super().__init__(f"the lease on {lease.id} (attempt {lease.attempt}) was taken over")
        self.lease = lease


@dataclass(frozen=True)
class FollowUp:
    """A new message for the recipients a server refused with a 4xx while it took the message
    for the others: the same bytes and Message-ID, those recipients alone, due later."""

    id: str
    connection: str
    message: ComposedMessage
    delay_seconds: float


@dataclass(frozen=True)
class Claimed:
    """A message leased to one worker for one attempt."""

    id: str
    connection: str
    message_id: str
    envelope: Envelope
    data: bytes
    attempt: int
    """This attempt's number (1 for the first)."""
    queued_at: datetime
    token: str
    """The claim's fence token (see ``Lease``)."""
    reclaimed: bool = False
    """Taken over from a holder whose lease expired before it reported (it died or stalled)."""

    @property
    def lease(self) -> Lease:
        return Lease(self.id, self.token, self.attempt)


@dataclass(frozen=True)
class Attempt:
    number: int
    worker: str
    started_at: datetime
    finished_at: datetime | None
    outcome: AttemptOutcome | None
    smtp_code: int | None = None
    enhanced_code: str | None = None
    response: str | None = None
    error_code: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class OutboxMessage:
    """A stored message as the API shows it (never its bytes)."""

    id: str
    connection: str
    status: MessageStatus
    message_id: str
    mail_from: str
    rcpt_to: tuple[str, ...]
    size: int
    attempt_count: int
    created_at: datetime
    updated_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None
    accepted: tuple[str, ...] = ()
    rejected: dict[str, Any] = field(default_factory=dict)
    response: str | None = None
    last_error: dict[str, Any] | None = None
    outcome_unknown: bool = False
    attempts: tuple[Attempt, ...] = ()
