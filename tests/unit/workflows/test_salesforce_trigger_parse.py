"""The Salesforce polling trigger, pasted in Logic Apps' shape, is checked when saved."""

from __future__ import annotations

from typing import Any

import pytest

from smtp_connector.workflows.definition.parse import parse_definition
from smtp_connector.workflows.definition.problems import WorkflowInvalid

SALESFORCE = {"salesforce", "crm"}
CONNECTIONS = {
    "$connections": {
        "value": {
            "salesforce": {
                "connectionId": "/subscriptions/x/providers/Microsoft.Web/connections/crm",
                "connectionName": "crm",
                "id": "/subscriptions/x/providers/Microsoft.Web/locations/w/managedApis/salesforce",
            }
        }
    }
}
PATH = "/datasets/default/tables/@{encodeURIComponent(encodeURIComponent('Lead'))}/onnewitems"


def trigger(**changes: Any) -> dict[str, Any]:
    inputs = {
        "host": {
            "connection": {"name": "@parameters('$connections')['salesforce']['connectionId']"}
        },
        "method": "get",
        "path": PATH,
        "queries": {"$filter": "LeadSource eq 'Web'", "$select": "Id,Name,Company,Email"},
    }
    spec: dict[str, Any] = {
        "type": "ApiConnection",
        "inputs": inputs,
        "recurrence": {"frequency": "Minute", "interval": 3},
        "splitOn": "@triggerBody()?['value']",
    }
    for key, value in changes.items():
        if key in inputs:
            inputs[key] = value
        else:
            spec[key] = value
    return spec


def definition(spec: dict[str, Any]) -> dict[str, Any]:
    return {"triggers": {"When_a_record_is_created": spec}, "actions": {}}


def parse(spec: dict[str, Any], parameters: Any = CONNECTIONS) -> Any:
    return parse_definition(
        definition(spec), parameters, lambda _name: True, salesforce=lambda n: n in SALESFORCE
    )


def problems(spec: dict[str, Any], parameters: Any = CONNECTIONS) -> dict[str, str]:
    with pytest.raises(WorkflowInvalid) as caught:
        parse(spec, parameters)
    return {p.field: p.message for p in caught.value.problems}


AT = "/definition/triggers/When_a_record_is_created"


def test_the_seed_trigger_is_understood() -> None:
    spec = parse(trigger()).triggers["When_a_record_is_created"]
    poll = spec.poll
    assert spec.type == "ApiConnection"
    assert (poll.connection, poll.sobject, poll.event, poll.stamp) == (
        "crm",
        "Lead",
        "onnewitems",
        "CreatedDate",
    )
    assert poll.selected == ("Id", "Name", "Company", "Email")
    assert poll.condition == "LeadSource = 'Web'"
    assert poll.filter_fields == ("LeadSource",)
    assert "splitOn" in spec.compiled


def test_modified_records_a_path_written_plainly_and_no_queries() -> None:
    spec = trigger(path="/datasets/default/tables/Account/onupdateditems", queries={})
    poll = parse(spec).triggers["When_a_record_is_created"].poll
    assert (poll.sobject, poll.stamp, poll.selected, poll.condition) == (
        "Account",
        "LastModifiedDate",
        None,
        None,
    )


def test_the_connection_must_be_a_salesforce_one() -> None:
    found = problems(trigger(host={"connection": {"name": "/x/connections/office-smtp"}}))
    assert "no Salesforce connection named 'office-smtp'" in found[AT + "/inputs/host/connection"]


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/datasets/default/tables/Lead/ondeleteditems", "'ondeleteditems' is not supported"),
        ("/datasets/default/tables/Lead", "is not a Salesforce trigger path"),
        ("/SendEmailV3", "is not a Salesforce trigger path"),
        ("/datasets/default/tables/Lead%2527%20OR/onnewitems", "is not a Salesforce object name"),
        ("/datasets/default/tables/@{parameters('nope')}/onnewitems", "cannot be evaluated"),
        (17, "path must be a string"),
    ],
)
def test_a_path_we_cannot_poll_is_refused(path: Any, says: str) -> None:
    assert says in problems(trigger(path=path))[AT + "/inputs/path"]


def test_a_bad_filter_names_its_column_and_a_bad_select_its_item() -> None:
    with pytest.raises(WorkflowInvalid) as caught:
        parse(trigger(queries={"$filter": "Name eq 'x' and", "$select": "Id,Bad Name"}))
    found = {p.field: p for p in caught.value.problems}
    assert found[AT + "/inputs/queries/$filter"].column is not None
    assert "Bad Name" in found[AT + "/inputs/queries/$select"].message


def test_a_polling_trigger_needs_a_valid_recurrence_and_the_get_method() -> None:
    spec = trigger(method="post")
    del spec["recurrence"]
    found = problems(spec)
    assert "needs a recurrence" in found[AT + "/recurrence"]
    assert "method is get" in found[AT + "/inputs/method"]
    bad = problems(trigger(recurrence={"frequency": "Fortnight", "interval": 1}))
    assert any(key.startswith(AT + "/recurrence") for key in bad)
