"""Saving a workflow checks the whole definition: every problem with its JSON pointer."""

from __future__ import annotations

from typing import Any

import pytest

from smtp_connector.workflows.definition.parse import parse_definition
from smtp_connector.workflows.definition.problems import WorkflowInvalid
from smtp_connector.workflows.statuses import Status

CONNECTIONS = {"office-smtp"}


def parse(definition: Any, parameters: Any = None) -> Any:
    return parse_definition(definition, parameters, lambda name: name in CONNECTIONS)


def problems(definition: Any, parameters: Any = None) -> dict[str, tuple[str, int | None]]:
    with pytest.raises(WorkflowInvalid) as caught:
        parse(definition, parameters)
    return {p.field: (p.message, p.column) for p in caught.value.problems}


def request(actions: dict[str, Any]) -> dict[str, Any]:
    return {"triggers": {"manual": {"type": "Request", "kind": "Http"}}, "actions": actions}


def send(connection_name: str = "@parameters('$connections')['smtp']['connectionId']") -> Any:
    return {
        "type": "ApiConnection",
        "inputs": {
            "host": {"connection": {"name": connection_name}},
            "method": "post",
            "path": "/SendEmailV3",
            "body": {"To": "a@example.com", "Subject": "@{triggerBody()?['Name']}"},
        },
    }


def test_types_statuses_and_function_names_in_any_case() -> None:
    definition = parse(
        {
            "triggers": {"manual": {"type": "request", "kind": "http"}},
            "actions": {
                "A": {"type": "compose", "inputs": "@TRIGGERBODY()"},
                "B": {"type": "COMPOSE", "inputs": 1, "runAfter": {"A": ["SUCCEEDED", "failed"]}},
            },
        }
    )
    assert definition.actions["A"].type == "Compose"
    assert definition.actions["B"].run_after == {"A": frozenset({Status.SUCCEEDED, Status.FAILED})}
    assert definition.root.order == ("A", "B")


def test_a_syntax_error_names_the_pointer_and_column() -> None:
    found = problems(
        request({"Send": {"type": "Compose", "inputs": {"Subject": "Hi @{equals('a'}"}}})
    )
    [(pointer, (message, column))] = found.items()
    assert pointer == "/definition/actions/Send/inputs/Subject"
    assert message.startswith("Unable to parse template language expression")
    assert column is not None and column > 4


def test_an_unknown_function_is_named() -> None:
    found = problems(request({"A": {"type": "Compose", "inputs": "@nope(1)"}}))
    assert found == {
        "/definition/actions/A/inputs": (
            "The template function 'nope' is not defined or not valid.",
            2,
        )
    }


def test_a_cycle_and_a_missing_predecessor() -> None:
    found = problems(
        request(
            {
                "A": {"type": "Compose", "inputs": 1, "runAfter": {"B": ["Succeeded"]}},
                "B": {"type": "Compose", "inputs": 1, "runAfter": {"A": ["Succeeded"]}},
                "C": {"type": "Compose", "inputs": 1, "runAfter": {"Nope": ["Succeeded"]}},
            }
        )
    )
    assert "cycle" in found["/definition/actions/A/runAfter"][0]
    assert "cycle" in found["/definition/actions/B/runAfter"][0]
    assert (
        "'Nope', which is not an action of the same scope"
        in found["/definition/actions/C/runAfter/Nope"][0]
    )


def test_an_unsupported_action_type_says_what_is_supported() -> None:
    found = problems(request({"Call": {"type": "Http", "inputs": {"uri": "https://x"}}}))
    message = found["/definition/actions/Call/type"][0]
    assert "'Http' is not supported" in message and "Compose" in message


def test_connections_resolve_the_logic_apps_way() -> None:
    by_name = {"smtp": {"connectionId": "/x/connections/ignored", "connectionName": "office-smtp"}}
    by_id = {"smtp": {"connectionId": "/subscriptions/s/connections/office-smtp"}}
    for value in (by_name, by_id):
        definition = parse(request({"Send": send()}), {"$connections": {"value": value}})
        assert definition.actions["Send"].connection == "office-smtp"
    # Without $connections the key itself names the connection.
    found = problems(request({"Send": send()}))
    assert found == {
        "/definition/actions/Send/inputs/host/connection": (
            "there is no connection named 'smtp'; create it with POST /v1/connections first",
            None,
        )
    }


def test_the_built_in_service_provider_shape() -> None:
    action = {
        "type": "ServiceProvider",
        "inputs": {
            "parameters": {"from": "a@example.com", "to": "b@example.com", "subject": "s"},
            "serviceProviderConfiguration": {
                "connectionName": "office-smtp",
                "operationId": "sendEmail",
                "serviceProviderId": "/serviceProviders/Smtp",
            },
        },
    }
    assert parse(request({"Send": action})).actions["Send"].connection == "office-smtp"


def test_variables_must_be_initialized_with_a_fitting_type() -> None:
    found = problems(
        request(
            {
                "Init": {
                    "type": "InitializeVariable",
                    "inputs": {"variables": [{"name": "Count", "type": "String", "value": ""}]},
                },
                "Add": {
                    "type": "IncrementVariable",
                    "inputs": {"name": "count"},
                    "runAfter": {"Init": ["Succeeded"]},
                },
                "Set": {"type": "SetVariable", "inputs": {"name": "other", "value": 1}},
            }
        )
    )
    assert (
        "needs a variable of type Integer or Float"
        in found["/definition/actions/Add/inputs/name"][0]
    )
    assert "'other' is not initialized" in found["/definition/actions/Set/inputs/name"][0]


def test_an_unknown_trigger_type_and_a_response_without_request() -> None:
    found = problems(
        {
            "triggers": {"poll": {"type": "Http", "inputs": {}}},
            "actions": {"Reply": {"type": "Response", "inputs": {"statusCode": 200}}},
        }
    )
    assert "'Http' is not supported" in found["/definition/triggers/poll/type"][0]
    assert "needs a Request trigger" in found["/definition/actions"][0]


def test_names_are_unique_across_scopes() -> None:
    found = problems(
        request(
            {
                "A": {"type": "Compose", "inputs": 1},
                "S": {"type": "Scope", "actions": {"a": {"type": "Compose", "inputs": 2}}},
            }
        )
    )
    assert "used twice" in found["/definition/actions/S/actions/a"][0]


def test_nested_scopes_have_their_own_graph() -> None:
    definition = parse(
        request(
            {
                "If": {
                    "type": "If",
                    "expression": {"and": [{"equals": ["@triggerBody()?['x']", 1]}]},
                    "actions": {"Yes": {"type": "Compose", "inputs": "y"}},
                    "else": {"actions": {"No": {"type": "Compose", "inputs": "n"}}},
                },
                "After": {"type": "Compose", "inputs": 1, "runAfter": {"If": ["Succeeded"]}},
            }
        )
    )
    spec = definition.actions["If"]
    assert set(spec.scopes) == {"actions", "else"}
    assert definition.parents == {"If": None, "Yes": "If", "No": "If", "After": None}


def test_a_definition_that_is_not_an_object() -> None:
    assert problems([]) == {"/definition": ("definition must be an object", None)}


def test_which_actions_may_run_again_with_the_same_outcome() -> None:
    definition = parse(
        request(
            {
                "Plain": {"type": "Compose", "inputs": {"n": "@triggerBody()?['Name']"}},
                "Clock": {"type": "Compose", "inputs": "@{formatDateTime('2020-01-01')}"},
                "Random": {"type": "Compose", "inputs": "@guid()"},
                "Reads": {"type": "Compose", "inputs": "@variables('x')"},
                "Send": send(),
                "Init": {
                    "type": "InitializeVariable",
                    "inputs": {"variables": [{"name": "x", "type": "String", "value": "a"}]},
                },
            }
        ),
        {"$connections": {"value": {"smtp": {"connectionId": "/c/office-smtp"}}}},
    )
    replayable = {name for name, spec in definition.actions.items() if spec.replayable}
    assert replayable == {"Plain", "Send"}


def test_outputs_are_compiled_with_their_types_and_checked() -> None:
    definition = request({})
    definition["outputs"] = {
        "name": {"type": "string", "value": "@triggerBody()?['Name']"},
        "count": {"type": "Int", "value": 3},
    }
    outputs = parse(definition).outputs
    assert {name: kind for name, (kind, _value) in outputs.items()} == {
        "name": "String",
        "count": "Int",
    }
    definition["outputs"] = {
        "bad_type": {"type": "Integer", "value": 1},
        "no_value": {"type": "String"},
        "bad_expression": {"type": "String", "value": "@concat('a'"},
    }
    found = problems(definition)
    assert "'Integer' is not one of String" in found["/definition/outputs/bad_type/type"][0]
    assert "type and value" in found["/definition/outputs/no_value"][0]
    assert found["/definition/outputs/bad_expression/value"][1] is not None  # a column
    definition["outputs"] = {f"o{i}": {"type": "Int", "value": i} for i in range(11)}
    assert "at most 10 outputs" in problems(definition)["/definition/outputs"][0]
