"""The one interface every leaf action implements: evaluated inputs in, an ``Outcome`` out.

The executor evaluates the action's ``inputs`` (expression errors fail the action before it
runs), calls the action, and records the outcome. An action never touches the database: what
it needs from the service (sending mail, answering the caller) comes through ``ActionEnv``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from smtp_connector.workflows.definition.model import ActionSpec
from smtp_connector.workflows.engine.context import RunContext
from smtp_connector.workflows.engine.records import ActionResult
from smtp_connector.workflows.statuses import Status


@dataclass(frozen=True)
class Outcome:
    status: Status
    code: str | None
    outputs: Any = None
    error: dict[str, Any] | None = None
    variables_changed: bool = False
    response: dict[str, Any] | None = None
    """A Response action's ``{statusCode, headers, body}`` (sent to the waiting caller)."""
    state: dict[str, Any] | None = None
    retry_history: tuple[dict[str, Any], ...] = ()
    inputs: Any = None
    """What to record as the inputs of an action that evaluates its own (Query, Select)."""
    """One entry per failed attempt that was retried: ``{startTime, endTime, code, error}``."""


def succeeded(outputs: Any = None, code: str = "OK", **extra: Any) -> Outcome:
    return Outcome(Status.SUCCEEDED, code, outputs, **extra)


def failed(code: str, error_code: str, message: str, outputs: Any = None) -> Outcome:
    return Outcome(Status.FAILED, code, outputs, {"code": error_code, "message": message})


class Suspend(Exception):
    """The action waits (a durable timer): the run sleeps until ``wake_at`` and resumes there."""

    def __init__(self, wake_at: datetime, state: dict[str, Any]) -> None:
        super().__init__(f"waiting until {wake_at.isoformat()}")
        self.wake_at = wake_at
        self.state = state


class Terminate(Exception):
    """A Terminate action ends the run with ``status`` (and ``error`` when Failed)."""

    def __init__(self, status: Status, error: dict[str, Any] | None) -> None:
        super().__init__(status.value)
        self.status = status
        self.error = error


class MailSender(Protocol):
    async def __call__(
        self, connection: str, body: Any, idempotency_key: str
    ) -> tuple[int, dict[str, Any], dict[str, Any] | None]:
        """Send through the outbox: ``(statusCode, body, error)``; ``error`` is a problem
        ``{code, message}`` when ``statusCode`` >= 400."""
        ...


@dataclass(frozen=True)
class ActionEnv:
    send_mail: MailSender


@dataclass(frozen=True)
class Step:
    spec: ActionSpec
    ctx: RunContext
    inputs: Any
    previous: ActionResult | None
    """This action's record left by an earlier attempt of the run (a Wait's timer, ...)."""
    env: ActionEnv
    run_id: str

    @property
    def idempotency_key(self) -> str:
        where = f"/{self.ctx.repetition}" if self.ctx.repetition else ""
        return f"workflow-run/{self.run_id}/{self.spec.name}{where}"


LeafAction = Callable[[Step], Awaitable[Outcome]]


def field(inputs: Any, name: str) -> Any:
    """``inputs[name]`` in any case (exports vary), or ``None``."""
    if not isinstance(inputs, Mapping):
        return None
    if name in inputs:
        return inputs[name]
    folded = name.casefold()
    return next((v for k, v in inputs.items() if k.casefold() == folded), None)
