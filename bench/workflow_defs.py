"""The workflows the benchmark runs, as Logic Apps code view shows them, and the lead it posts.

- ``EMAIL``: a Request trigger (with a JSON schema, as the seed's walkthrough has), a ``Compose``
  action building a small object from the trigger body, then the managed SMTP connector's
  ``ApiConnection`` ``POST /SendEmailV3`` with the benchmark's message (``message.py``: the same
  sender, recipient, 2 KB HTML body and 3 KB attachment), its Subject interpolating a trigger
  field and the Compose output.
- ``RESPONSE``: the same trigger, and a ``Response`` action answering 200 with a small JSON object
  built from the trigger body (no email).
"""

from __future__ import annotations

from typing import Any

from message import SEND

LEAD = {"Name": "Jane Doe", "Company": "Contoso", "Email": "Jane.Doe@Example.com"}
"""The body every benchmark request posts to a callback URL."""

LEAD_SCHEMA = {
    "type": "object",
    "properties": {
        "Name": {"type": "string"},
        "Company": {"type": "string"},
        "Email": {"type": "string"},
    },
    "required": ["Name", "Email"],
}

SUBJECT = "New lead: @{triggerBody()?['Name']} (@{outputs('Compose')?['company']})"
EXPECTED_SUBJECT = "New lead: Jane Doe (CONTOSO)"
EXPECTED_RESPONSE = {"received": "Jane Doe", "company": "CONTOSO", "ok": True}


def _document(actions: dict[str, Any], connection: str | None = None) -> dict[str, Any]:
    """A workflow document: the Request trigger ``manual``, ``actions``, and with
    ``connection`` the ``$connections`` parameter naming our SMTP connection."""
    definition: dict[str, Any] = {
        "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/"
        "2016-06-01/workflowdefinition.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"$connections": {"defaultValue": {}, "type": "Object"}},
        "triggers": {
            "manual": {"type": "Request", "kind": "Http", "inputs": {"schema": LEAD_SCHEMA}}
        },
        "actions": actions,
        "outputs": {},
    }
    document: dict[str, Any] = {"definition": definition}
    if connection is not None:
        reference = {
            "connectionId": "/subscriptions/x/resourceGroups/y/providers/Microsoft.Web/"
            f"connections/{connection}",
            "connectionName": connection,
            "id": "/subscriptions/x/providers/Microsoft.Web/locations/westus/managedApis/smtp",
        }
        document["parameters"] = {"$connections": {"value": {"smtp": reference}}}
    return document


COMPOSE = {
    "type": "Compose",
    "inputs": {
        "name": "@triggerBody()?['Name']",
        "company": "@{toUpper(triggerBody()?['Company'])}",
        "email": "@{toLower(triggerBody()?['Email'])}",
    },
    "runAfter": {},
}


def email_workflow(connection: str) -> dict[str, Any]:
    """Request -> Compose -> Send an email (V3) through our connection ``connection``."""
    send = {
        "type": "ApiConnection",
        "inputs": {
            "host": {"connection": {"name": "@parameters('$connections')['smtp']['connectionId']"}},
            "method": "post",
            "path": "/SendEmailV3",
            "body": {**SEND, "Subject": SUBJECT},
        },
        "runAfter": {"Compose": ["Succeeded"]},
    }
    return _document({"Compose": COMPOSE, "Send_an_email_(V3)": send}, connection)


def response_workflow() -> dict[str, Any]:
    """Request -> Response: 200 with a small JSON object built from the trigger body."""
    response = {
        "type": "Response",
        "kind": "Http",
        "inputs": {
            "statusCode": 200,
            "body": {
                "received": "@triggerBody()?['Name']",
                "company": "@{toUpper(triggerBody()?['Company'])}",
                "ok": True,
            },
        },
        "runAfter": {},
    }
    return _document({"Response": response})
