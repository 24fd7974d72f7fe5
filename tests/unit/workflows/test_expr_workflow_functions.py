"""Workflow functions read the run through the context: trigger, actions, loops, variables."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import pytest

from smtp_connector.workflows.expressions import (
    ExpressionEvaluationError,
    StaticContext,
    parse_template,
)

TRIGGER = {
    "name": "manual",
    "status": "Succeeded",
    "outputs": {"headers": {"Content-Type": "application/json"}, "body": {"Name": "Ada"}},
}
GET_USER = {
    "name": "Get_user",
    "status": "Succeeded",
    "outputs": {"statusCode": 200, "body": {"status": "Succeeded", "id": 7}},
}
CTX = StaticContext(
    parameters={"fullName": "Sophia Owen"},
    variables={"numItems": 20},
    trigger_record=TRIGGER,
    actions={"Get_user": GET_USER, "Compose": {"name": "Compose", "outputs": "composed"}},
    items={"Outer": {"id": 1}, "Inner": {"id": 2}},
    indexes={"Until": 3},
    results={"Scope": [{"name": "Get_user", "status": "Succeeded"}]},
    workflow_record={"name": "wf", "run": {"name": "run-1"}},
    settings={"smtp_server_address": "mail.example.com"},
    url="https://example.com/hook?sig=abc",
    clock=datetime(2018, 4, 15, 13, tzinfo=UTC),
    current={"name": "Until_done", "status": "Running"},
)


def run(expression: str, ctx: StaticContext = CTX) -> Any:
    return parse_template(f"@{expression}").evaluate(ctx)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("actions('Get_user').outputs.body.status", "Succeeded"),
        ("parameters('fullName')", "Sophia Owen"),
        ("variables('numItems')", 20),
        ("trigger().name", "manual"),
        ("triggerOutputs()['headers']['content-type']", "application/json"),
        ("triggerBody()?['Name']", "Ada"),
        ("body('Get_user').id", 7),
        ("outputs('Get_user').statusCode", 200),
        ("actionBody('Get_user').id", 7),
        ("actionOutputs('Get_user').statusCode", 200),
        ("body('get_USER').id", 7),
        ("outputs('Compose')", "composed"),
        ("action().status", "Running"),
        ("item().id", 2),
        ("items('Outer').id", 1),
        ("iterationIndexes('Until')", 3),
        ("result('Scope')[0].status", "Succeeded"),
        ("workflow().run.name", "run-1"),
        ("listCallbackUrl()", "https://example.com/hook?sig=abc"),
        ("appsetting('smtp_server_address')", "mail.example.com"),
    ],
)
def test_workflow_functions_read_the_context(expression: str, expected: Any) -> None:
    assert run(expression) == expected


def test_whole_records_are_returned() -> None:
    assert run("trigger()") == TRIGGER
    assert run("actions('Get_user')") == GET_USER
    assert run("triggerOutputs()") == TRIGGER["outputs"]


def test_shortcuts_are_null_when_there_is_nothing_to_read() -> None:
    ctx = StaticContext(trigger_record={"name": "t"}, actions={"A": {"name": "A"}})
    assert run("triggerBody()", ctx) is None
    assert run("triggerOutputs()", ctx) is None
    assert run("body('A')", ctx) is None
    assert run("outputs('A')", ctx) is None
    assert run("body('Compose')") is None
    assert run("triggerBody()?['x']", ctx) is None


def test_names_not_in_scope_fail_with_the_contexts_message() -> None:
    with pytest.raises(ExpressionEvaluationError) as caught:
        run("body('Nope')")
    assert "The action 'Nope' is not defined" in caught.value.message
    with pytest.raises(ExpressionEvaluationError, match="'missing'"):
        run("variables('missing')")
    with pytest.raises(ExpressionEvaluationError, match="'missing'"):
        run("parameters('missing')")


@pytest.mark.parametrize("name", ["variables", "parameters", "body", "outputs", "actions", "items"])
def test_names_must_be_strings(name: str) -> None:
    with pytest.raises(ExpressionEvaluationError) as caught:
        run(f"{name}(null)")
    assert caught.value.message == (
        f"The template language function '{name}' expects its parameter to be of type string. "
        f"The provided value is of type 'Null'. Please see "
        f"https://aka.ms/logicexpressions#{name.lower()} for usage details."
    )


class ProxyContext(StaticContext):
    """An engine may hand out read-only mappings; expressions must still see plain objects."""

    def trigger(self) -> Mapping[str, Any]:
        return MappingProxyType(self.trigger_record)


def test_read_only_mappings_from_a_context_become_objects() -> None:
    ctx = ProxyContext(trigger_record={"outputs": MappingProxyType({"body": {"a": 1}})})
    assert run("trigger()", ctx) == {"outputs": {"body": {"a": 1}}}
    assert run("triggerOutputs()?['body']?['a']", ctx) == 1
    assert parse_template("@{trigger()}").evaluate(ctx) == '{"outputs":{"body":{"a":1}}}'
