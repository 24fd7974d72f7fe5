"""The executor alone, against an in-memory record sink: Logic Apps' runAfter, skip and status
rules, control actions, and resuming a run from its records without repeating work."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from smtp_connector.workflows.actions.base import ActionEnv
from smtp_connector.workflows.definition.parse import parse_definition
from smtp_connector.workflows.engine.context import RunState
from smtp_connector.workflows.engine.executor import Executor, RunOutcome
from smtp_connector.workflows.engine.records import ActionResult
from smtp_connector.workflows.statuses import Status

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


class Sink:
    """Keeps every record the executor writes, in order."""

    def __init__(self) -> None:
        self.written: list[ActionResult] = []
        self.variables: dict[str, Any] | None = None
        self.cancel = False

    async def record(
        self,
        result: ActionResult,
        *,
        variables: dict[str, Any] | None = None,
        response: dict[str, Any] | None = None,
        deferrable: bool = False,
    ) -> None:
        self.written.append(result)
        if variables is not None:
            self.variables = {k: dict(v) for k, v in variables.items()}

    def cancel_requested(self) -> bool:
        return self.cancel


class Mail:
    def __init__(self) -> None:
        self.keys: list[str] = []

    async def __call__(self, connection: str, body: Any, key: str) -> Any:
        self.keys.append(key)
        return 200, {"id": "msg_1", "messageId": "<m@example.com>", "status": "sent"}, None


def run(
    actions: dict[str, Any],
    body: Any = None,
    records: list[ActionResult] = (),  # type: ignore[assignment]
    clock: datetime = NOW,
    variables: dict[str, Any] | None = None,
) -> tuple[RunOutcome, dict[str, ActionResult], Sink, Mail]:
    definition = parse_definition(
        {"triggers": {"manual": {"type": "Request", "kind": "Http"}}, "actions": actions},
        None,
        lambda _: True,
    )
    state = RunState(
        "run1",
        "wf",
        definition,
        {"name": "manual", "outputs": {"body": body}},
        variables or {},
        {(r.name, r.repetition): r for r in records},
        clock=lambda: clock,
    )
    sink, mail = Sink(), Mail()
    outcome = asyncio.run(Executor(state, ActionEnv(mail), sink).run())
    final = {f"{r.name}{'#' + r.repetition if r.repetition else ''}": r for r in sink.written}
    return outcome, final, sink, mail


def compose(value: Any, **after: list[str]) -> dict[str, Any]:
    return {"type": "Compose", "inputs": value, "runAfter": after}


def test_skips_cascade_and_a_handler_after_failed_makes_the_run_succeed() -> None:
    outcome, records, _, _ = run(
        {
            "Fail": compose("@int('x')"),
            "Next": compose(1, Fail=["Succeeded"]),
            "AfterNext": compose(2, Next=["Succeeded"]),
            "Handler": compose("handled", Fail=["Failed"]),
        }
    )
    assert records["Fail"].status is Status.FAILED
    assert records["Next"].status is Status.SKIPPED
    assert records["AfterNext"].status is Status.SKIPPED
    assert records["AfterNext"].error is not None
    assert (
        "Expected status values 'Succeeded' and actual value 'Skipped'"
        in records["AfterNext"].error["message"]
    )
    assert records["Handler"].outputs == "handled"
    # The last actions are AfterNext (skipped: stands for Next, skipped: stands for Fail, which
    # failed) and Handler (succeeded): a failure nobody handled on that branch fails the run.
    assert outcome.status is Status.FAILED


def test_a_skipped_leaf_stands_for_its_predecessors() -> None:
    outcome, records, _, _ = run({"Ok": compose(1), "OnlyOnFailure": compose(2, Ok=["Failed"])})
    assert records["OnlyOnFailure"].status is Status.SKIPPED
    assert outcome.status is Status.SUCCEEDED


def test_if_object_form_and_switch_take_one_branch_and_skip_the_other() -> None:
    outcome, records, _, _ = run(
        {
            "If": {
                "type": "If",
                "expression": {
                    "and": [
                        {"equals": ["@triggerBody()?['tier']", "gold"]},
                        {"not": {"contains": ["@triggerBody()?['tags']", "blocked"]}},
                    ]
                },
                "actions": {"Yes": compose("yes")},
                "else": {"actions": {"No": compose("no")}},
            },
            "Switch": {
                "type": "Switch",
                "expression": "@triggerBody()?['n']",
                "cases": {
                    "One": {"case": 1, "actions": {"Was1": compose(1)}},
                    "Two": {"case": 2, "actions": {"Was2": compose(2)}},
                },
                "default": {"actions": {"Other": compose(0)}},
            },
        },
        body={"tier": "gold", "tags": ["a"], "n": 2},
    )
    assert outcome.status is Status.SUCCEEDED
    assert records["Yes"].status is Status.SUCCEEDED
    assert records["No"].status is Status.SKIPPED
    assert records["No"].error == {
        "code": "ActionBranchingConditionNotSatisfied",
        "message": "The execution of template action 'No' skipped: the branching condition "
        "for this action is not satisfied.",
    }
    assert records["Was2"].status is Status.SUCCEEDED
    assert {records["Was1"].status, records["Other"].status} == {Status.SKIPPED}


def test_terminate_ends_the_run_with_its_status_and_error() -> None:
    outcome, records, _, _ = run(
        {
            "Stop": {
                "type": "Terminate",
                "inputs": {
                    "runStatus": "Failed",
                    "runError": {"code": "NoLead", "message": "no lead in the body"},
                },
            },
            "Never": compose(1, Stop=["Succeeded"]),
        }
    )
    assert outcome == RunOutcome(
        Status.FAILED, "Terminated", {"code": "NoLead", "message": "no lead in the body"}
    )
    assert (records["Never"].status, records["Never"].code) == (Status.SKIPPED, "Terminated")


def test_foreach_runs_each_item_and_a_failing_iteration_fails_the_loop() -> None:
    outcome, records, _, _ = run(
        {
            "Loop": {
                "type": "Foreach",
                "foreach": "@triggerBody()",
                "actions": {"Half": compose("@div(100, item())")},
            }
        },
        body=[4, 0, 5],
    )
    assert records["Half#000000"].outputs == 25
    assert records["Half#000001"].status is Status.FAILED
    assert records["Half#000002"].outputs == 20
    assert records["Loop"].status is Status.FAILED
    assert outcome.status is Status.FAILED


def test_foreach_over_null_fails_with_the_runtime_message() -> None:
    _, records, _, _ = run(
        {"Loop": {"type": "Foreach", "foreach": "@triggerBody()?['x']", "actions": {}}},
        body={},
    )
    assert records["Loop"].status is Status.FAILED
    assert records["Loop"].error is not None
    assert (
        "is of type 'Null'. The result must be a valid array." in records["Loop"].error["message"]
    )


def test_a_wait_suspends_the_run_and_a_resume_after_the_time_goes_on() -> None:
    actions = {
        "Before": compose("@utcNow()"),
        "Pause": {
            "type": "Wait",
            "inputs": {"interval": {"count": 5, "unit": "Minute"}},
            "runAfter": {"Before": ["Succeeded"]},
        },
        "After": compose("done", Pause=["Succeeded"]),
    }
    outcome, records, sink, _ = run(actions)
    assert outcome.status is Status.WAITING
    assert outcome.wake_at == NOW + timedelta(minutes=5)
    assert records["Pause"].status is Status.WAITING

    later = NOW + timedelta(minutes=6)
    resumed, again, _, _ = run(actions, records=sink.written, clock=later)

    assert resumed.status is Status.SUCCEEDED
    assert "Before" not in again  # finished before the wait: not run again
    assert again["Pause"].status is Status.SUCCEEDED
    assert again["After"].outputs == "done"


def test_a_resumed_run_does_not_repeat_finished_actions_or_sends() -> None:
    send = {
        "type": "ServiceProvider",
        "inputs": {
            "parameters": {"to": "a@example.com", "subject": "s", "body": "b"},
            "serviceProviderConfiguration": {"connectionName": "mail", "operationId": "sendEmail"},
        },
    }
    actions = {"Send": send, "After": compose("after", Send=["Succeeded"])}
    first, _, sink, mail = run(actions)
    assert first.status is Status.SUCCEEDED
    assert mail.keys == ["workflow-run/run1/Send"]

    only_send = [r for r in sink.written if r.name == "Send"]
    again, records, _, mail2 = run(actions, records=only_send)

    assert again.status is Status.SUCCEEDED
    assert mail2.keys == []  # the send finished before the "crash": not repeated
    assert set(records) == {"After"}


def test_variables_are_typed_and_saved_with_the_action_that_changes_them() -> None:
    outcome, records, sink, _ = run(
        {
            "Init": {
                "type": "InitializeVariable",
                "inputs": {"variables": [{"name": "Count", "type": "Integer", "value": 1}]},
            },
            "Add": {
                "type": "IncrementVariable",
                "inputs": {"name": "count", "value": 2},
                "runAfter": {"Init": ["Succeeded"]},
            },
            "Bad": {
                "type": "SetVariable",
                "inputs": {"name": "COUNT", "value": "three"},
                "runAfter": {"Add": ["Succeeded"]},
            },
        }
    )
    assert sink.variables == {"count": {"name": "Count", "type": "Integer", "value": 3}}
    assert records["Bad"].status is Status.FAILED
    assert records["Bad"].error is not None
    assert "cannot be set to a value of type 'String'" in records["Bad"].error["message"]
    assert outcome.status is Status.FAILED


def test_cancel_stops_before_the_next_action() -> None:
    definition_actions = {"A": compose(1), "B": compose(2, A=["Succeeded"])}
    definition = parse_definition(
        {"triggers": {"manual": {"type": "Request"}}, "actions": definition_actions},
        None,
        lambda _: True,
    )
    sink = Sink()
    sink.cancel = True
    state = RunState("r", "wf", definition, {}, {}, clock=lambda: NOW)
    outcome = asyncio.run(Executor(state, ActionEnv(Mail()), sink).run())
    assert outcome.status is Status.CANCELLED
    assert sink.written == []


class BusyMail(Mail):
    """Refuses with 429 (the connection's call limit) ``busy`` times, then sends."""

    def __init__(self, busy: int) -> None:
        super().__init__()
        self.busy = busy

    async def __call__(self, connection: str, body: Any, key: str) -> Any:
        self.keys.append(key)
        if len(self.keys) <= self.busy:
            problem = {"code": "rate_limited", "detail": "too many calls"}
            return 429, problem, {"code": "rate_limited", "message": "too many calls"}
        return 200, {"id": "msg_1", "messageId": "<m@example.com>", "status": "sent"}, None


def test_send_email_retries_a_transient_refusal_as_its_retry_policy_says(
    monkeypatch: Any,
) -> None:
    from smtp_connector.workflows.actions import send_email

    waited: list[float] = []

    async def no_wait(seconds: float) -> None:
        waited.append(seconds)

    monkeypatch.setattr(send_email.asyncio, "sleep", no_wait)
    action = {
        "type": "ServiceProvider",
        "inputs": {
            "parameters": {"to": "a@example.com", "subject": "s", "body": "b"},
            "serviceProviderConfiguration": {"connectionName": "mail", "operationId": "sendEmail"},
            "retryPolicy": {"type": "fixed", "count": 3, "interval": "PT20S"},
        },
    }
    definition = parse_definition(
        {"triggers": {"manual": {"type": "Request"}}, "actions": {"Send": action}},
        None,
        lambda _: True,
    )
    for busy, status, retries in ((2, Status.SUCCEEDED, 2), (5, Status.FAILED, 3)):
        sink, mail = Sink(), BusyMail(busy)
        waited.clear()
        state = RunState("r", "wf", definition, {}, {}, clock=lambda: NOW)
        asyncio.run(Executor(state, ActionEnv(mail), sink).run())
        [record] = sink.written
        assert record.status is status
        assert waited == [20.0] * retries
        assert [h["code"] for h in record.retry_history] == ["TooManyRequests"] * retries
        assert len(mail.keys) == retries + 1 and len(set(mail.keys)) == 1  # one key throughout
