"""Helpers for workflow tests: the seed's shape as a Logic Apps definition, and calls to the API."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from support.waiting import wait_until

FINISHED = {"Succeeded", "Failed", "Cancelled", "TimedOut", "Skipped"}

LEAD_SCHEMA = {
    "type": "object",
    "properties": {
        "Name": {"type": "string"},
        "Company": {"type": "string"},
        "Email": {"type": "string"},
    },
    "required": ["Name", "Email"],
}


def seed_workflow(connection: str = "mail") -> dict[str, Any]:
    """A lead posted to a Request trigger becomes an email (the seed's walkthrough, with a
    Request trigger in place of Salesforce), as the Logic Apps code view shows it."""
    return {
        "definition": {
            "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/"
            "2016-06-01/workflowdefinition.json#",
            "contentVersion": "1.0.0.0",
            "parameters": {"$connections": {"defaultValue": {}, "type": "Object"}},
            "triggers": {
                "manual": {
                    "type": "Request",
                    "kind": "Http",
                    "inputs": {"schema": LEAD_SCHEMA},
                }
            },
            "actions": {
                "Send_an_email_(V3)": {
                    "type": "ApiConnection",
                    "inputs": {
                        "host": {
                            "connection": {
                                "name": "@parameters('$connections')['smtp']['connectionId']"
                            }
                        },
                        "method": "post",
                        "path": "/SendEmailV3",
                        "body": {
                            "From": "sales@example.com",
                            "To": "@{triggerBody()?['Email']}",
                            "Subject": "New lead: @{triggerBody()?['Name']} "
                            "(@{triggerBody()?['Company']})",
                            "Body": "<p>Lead <b>@{triggerBody()?['Name']}</b> from "
                            "@{triggerBody()?['Company']}.</p>",
                        },
                    },
                    "runAfter": {},
                }
            },
            "outputs": {},
        },
        "parameters": {
            "$connections": {
                "value": {
                    "smtp": {
                        "connectionId": f"/subscriptions/x/resourceGroups/y/providers/"
                        f"Microsoft.Web/connections/{connection}",
                        "connectionName": connection,
                        "id": "/subscriptions/x/providers/Microsoft.Web/locations/westus/"
                        "managedApis/smtp",
                    }
                }
            }
        },
    }


SALESFORCE_PATH = (
    "/datasets/default/tables/@{encodeURIComponent(encodeURIComponent('Lead'))}/onnewitems"
)


def salesforce_workflow(
    smtp: str = "mail",
    salesforce: str = "crm",
    *,
    queries: dict[str, str] | None = None,
    path: str = SALESFORCE_PATH,
) -> dict[str, Any]:
    """The seed's walkthrough as pasted from the Logic Apps code view: Salesforce "When a record
    is created" (Lead, polled every second) then SMTP Send Email, one run per new lead."""
    document = seed_workflow(smtp)
    definition = document["definition"]
    definition["triggers"] = {
        "When_a_record_is_created": {
            "type": "ApiConnection",
            "inputs": {
                "host": {
                    "connection": {
                        "name": "@parameters('$connections')['salesforce']['connectionId']"
                    }
                },
                "method": "get",
                "path": path,
                "queries": queries
                if queries is not None
                else {"$select": "Id,Name,Company,Email,CreatedDate"},
            },
            "recurrence": {"frequency": "Second", "interval": 1},
            "splitOn": "@triggerBody()?['value']",
        }
    }
    document["parameters"]["$connections"]["value"]["salesforce"] = {
        "connectionId": "/subscriptions/x/resourceGroups/y/providers/Microsoft.Web/"
        f"connections/{salesforce}",
        "connectionName": salesforce,
        "id": "/subscriptions/x/providers/Microsoft.Web/locations/westus/managedApis/salesforce",
    }
    return document


def request_only(actions: dict[str, Any], schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """A workflow with a bare Request trigger (``manual``) and these actions."""
    inputs: dict[str, Any] = {"schema": schema} if schema else {}
    return {
        "definition": {
            "triggers": {"manual": {"type": "Request", "kind": "Http", "inputs": inputs}},
            "actions": actions,
        }
    }


def put(client: TestClient, name: str, document: dict[str, Any]) -> Any:
    """Save a workflow that must be valid (201 or 200)."""
    answer = client.put(f"/v1/workflows/{name}", json=document)
    assert answer.status_code in (200, 201), answer.text
    return answer


def callback_path(client: TestClient, name: str, trigger: str = "manual") -> str:
    """The callback URL's path and query, for the test client."""
    answer = client.post(f"/v1/workflows/{name}/triggers/{trigger}/listCallbackUrl")
    assert answer.status_code == 200, answer.text
    url = urlsplit(answer.json()["value"])
    return f"{url.path}?{url.query}"


def finished_run(client: TestClient, name: str, run: str, timeout: float = 20.0) -> Any:
    def probe() -> Any:
        answer = client.get(f"/v1/workflows/{name}/runs/{run}")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        return body if body["status"] in FINISHED else None

    return wait_until(probe, timeout=timeout, what=f"run {run} finishing")


def actions_of(client: TestClient, name: str, run: str) -> dict[str, Any]:
    """The run's action records by name (the last repetition wins)."""
    answer = client.get(f"/v1/workflows/{name}/runs/{run}/actions")
    assert answer.status_code == 200, answer.text
    return {a["name"]: a for a in answer.json()["value"]}


def tick_steps(scheduled: list[str]) -> list[timedelta]:
    """The time between consecutive scheduled times (trigger histories' ``scheduledTime``)."""
    instants = sorted(datetime.fromisoformat(t) for t in scheduled)
    return [later - earlier for earlier, later in itertools.pairwise(instants)]


def whole_seconds(steps: list[timedelta]) -> bool:
    """Every step is one or more whole seconds: the ticks of a one-second recurrence."""
    second = timedelta(seconds=1)
    return all(step >= second and step % second == timedelta() for step in steps)
