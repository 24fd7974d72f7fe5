"""Send Email for workflow actions: the HTTP API's path (``SendService``), with its answers.

A Send Email action's outputs are what ``POST /v1/connections/{name}/send`` would answer, so
the status codes and problem bodies come from the same mapping (``api.problems``). Each action
repetition has its own idempotency key: a resumed action gets the first attempt's answer.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from smtp_connector.api.problems import to_problem
from smtp_connector.errors import ConnectorError
from smtp_connector.logs import log_event
from smtp_connector.outbox.idempotency import IdempotencyRequest, IdempotentReplay
from smtp_connector.outbox.submit import Accepted, SendService, Sent
from smtp_connector.outbox.types import MessageStatus
from smtp_connector.workflows.expressions.values import plain_json

IDEMPOTENCY_SCOPE = "workflows"
"""The idempotency keys of workflow actions live apart from every API key's."""


def _sent(message_id: str, outbox_id: str, accepted: list[str], rejected: Any) -> dict[str, Any]:
    return {
        "id": outbox_id,
        "messageId": message_id,
        "status": "sent",
        "accepted": accepted,
        "rejected": rejected,
    }


class WorkflowMail:
    """``MailSender`` for actions, over the service's ``SendService``."""

    def __init__(self, sender: SendService, ttl_seconds: float) -> None:
        self.sender = sender
        self.ttl_seconds = ttl_seconds

    async def __call__(
        self, connection: str, body: Any, idempotency_key: str
    ) -> tuple[int, dict[str, Any], dict[str, Any] | None]:
        payload = plain_json(body)
        digest = hashlib.sha256(
            json.dumps([connection, payload], sort_keys=True, separators=(",", ":")).encode()
        ).hexdigest()
        key = IdempotencyRequest(
            IDEMPOTENCY_SCOPE, idempotency_key[-255:], digest, self.ttl_seconds
        )
        try:
            submission = await self.sender.submit(
                connection, payload, wait=True, idempotency=key, inline=True, precheck=False
            )
        except IdempotentReplay as replay:
            return await self._replay(replay)
        except ConnectorError as exc:
            problem = to_problem(exc)
            return problem.status, problem.body, _error(problem.body)
        if isinstance(submission, Sent):
            result = submission.result
            code, answer = (
                200,
                _sent(
                    result.message_id,
                    submission.id,
                    list(result.accepted),
                    {a: {"code": r.code, "message": r.message} for a, r in result.rejected.items()},
                ),
            )
        elif isinstance(submission, Accepted):
            code, answer = (
                202,
                {
                    "id": submission.id,
                    "messageId": submission.message_id,
                    "status": submission.status.value,
                    "accepted": [],
                    "rejected": {},
                },
            )
        else:
            problem = to_problem(submission.error)
            code, answer = problem.status, {**problem.body, "id": submission.id}
        if code >= 400:  # a repeat of a sent or queued one reads the message's own state
            await self._save(key, code, answer)
        return code, answer, _error(answer) if code >= 400 else None

    async def _save(self, key: IdempotencyRequest, code: int, answer: dict[str, Any]) -> None:
        try:
            await self.sender.store.save_idempotent_response_async(key.scope, key.key, code, answer)
        except SQLAlchemyError as exc:  # the message is committed; a replay reads its state
            log_event("workflow.send_answer_not_saved", logging.WARNING, error=type(exc).__name__)

    async def _replay(
        self, replay: IdempotentReplay
    ) -> tuple[int, dict[str, Any], dict[str, Any] | None]:
        if replay.status_code is not None and replay.response is not None:
            code = replay.status_code
            return code, replay.response, _error(replay.response) if code >= 400 else None
        from anyio import to_thread

        message = await to_thread.run_sync(self.sender.store.get, replay.message_ids[0])
        if message.status is MessageStatus.SENT:
            return (
                200,
                _sent(message.message_id, message.id, list(message.accepted), message.rejected),
                None,
            )
        return (
            202,
            {
                "id": message.id,
                "messageId": message.message_id,
                "status": message.status.value,
                "accepted": [],
                "rejected": {},
            },
            None,
        )


def _error(body: dict[str, Any]) -> dict[str, Any]:
    return {"code": str(body.get("code", "error")), "message": str(body.get("detail", ""))}
