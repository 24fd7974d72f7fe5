"""Send Email through an SMTP connection: the managed connector's ``ApiConnection`` (``POST
/SendEmailV3``, ``/SendEmailV2``, ``/SendEmail``) and the built-in ``ServiceProvider``
``sendEmail``. The body takes the same path as ``POST /v1/connections/{name}/send``: the same
validation and outbox, with an idempotency key per run, action and repetition, so a resumed or
repeated action never sends twice.

Outputs: ``statusCode`` 200 when sent, 202 when queued for a retry, ``headers``, ``body``
``{id, messageId, status, accepted, rejected}``. A refusal fails the action with the HTTP-like
code (``BadRequest``, ``BadGateway`` ...).
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from smtp_connector.workflows.actions.base import Outcome, Step, field
from smtp_connector.workflows.definition.types import SEND_EMAIL_PATHS
from smtp_connector.workflows.engine.records import iso
from smtp_connector.workflows.schedule import RetryPolicy, retryable_status
from smtp_connector.workflows.statuses import Status


def status_code_name(code: int) -> str:
    """.NET's ``HttpStatusCode`` name (``BadGateway``); a code without one is its number."""
    try:
        return HTTPStatus(code).phrase.replace(" ", "").replace("-", "")
    except ValueError:
        return str(code)


async def send_email(step: Step) -> Outcome:
    """Send, retrying a transient refusal (408, 429, 5xx: the call limit, a database outage)
    as the action's ``retryPolicy`` says (default: 4 retries, exponential, 5 to 45 s); an
    SMTP server's transient failure is the outbox's to retry, and answers 202 at once."""
    policy = RetryPolicy.parse(field(step.inputs, "retryPolicy"))
    rng = random.Random()
    history: list[dict[str, Any]] = []
    attempt = 0
    while True:
        started = datetime.now(UTC)
        outcome = await _send_once(step)
        code = (outcome.outputs or {}).get("statusCode", 0) if outcome.outputs else 0
        if outcome.status is not Status.FAILED or not retryable_status(int(code)):
            return replace(outcome, retry_history=tuple(history))
        attempt += 1
        delay = policy.delay(attempt, rng)
        if delay is None:
            return replace(outcome, retry_history=tuple(history))
        history.append(
            {
                "startTime": iso(started),
                "endTime": iso(datetime.now(UTC)),
                "code": outcome.code,
                "error": outcome.error,
            }
        )
        await asyncio.sleep(delay.total_seconds())


async def _send_once(step: Step) -> Outcome:
    spec = step.spec
    assert spec.connection is not None
    if spec.type == "ApiConnection":
        path = str(field(step.inputs, "path") or "")
        if path.casefold() not in {p.casefold() for p in SEND_EMAIL_PATHS}:
            return Outcome(
                Status.FAILED,
                "NotFound",
                None,
                {
                    "code": "OperationNotFound",
                    "message": f"The operation '{path}' is not supported.",
                },
            )
        body = field(step.inputs, "body")
    else:
        body = field(step.inputs, "parameters")
    code, answer, problem = await step.env.send_mail(spec.connection, body, step.idempotency_key)
    outputs = {
        "statusCode": code,
        "headers": {"Content-Type": "application/json"},
        "body": answer,
    }
    name = "OK" if code == 200 else status_code_name(code)
    if code >= 400:
        error = problem or {"code": name, "message": f"Send Email failed with {code}."}
        return Outcome(Status.FAILED, name, outputs, error)
    return Outcome(Status.SUCCEEDED, name, outputs)
