"""Workflow definitions in the shape the Logic Apps code view exports, for acceptance tests.

Each sample is written here after a public sample's pattern (named in its docstring), not
copied: ``$schema``, ``contentVersion``, ``parameters`` with ``$connections``, ``triggers``,
``actions`` and ``outputs``, the lowercase ``request``/``http`` and ``triggerbody()`` some
exports carry, and uppercase ``runAfter`` statuses where the pattern has them. What would
need a connector we do not have becomes a Compose.
"""

from __future__ import annotations

from typing import Any

SCHEMA = (
    "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/"
    "workflowdefinition.json#"
)
SUBSCRIPTION = "/subscriptions/00000000-0000-0000-0000-000000000000"


def code_view(
    triggers: dict[str, Any],
    actions: dict[str, Any],
    connections: dict[str, str] | None = None,
) -> dict[str, Any]:
    """``{"definition", "parameters"}`` as the code view shows it; ``connections`` maps a
    ``$connections`` key to one of our connection names."""
    value = {
        key: {
            "connectionId": f"{SUBSCRIPTION}/resourceGroups/mail/providers/Microsoft.Web/"
            f"connections/{name}",
            "connectionName": name,
            "id": f"{SUBSCRIPTION}/providers/Microsoft.Web/locations/westeurope/managedApis/smtp",
        }
        for key, name in (connections or {}).items()
    }
    return {
        "definition": {
            "$schema": SCHEMA,
            "contentVersion": "1.0.0.0",
            "parameters": {"$connections": {"defaultValue": {}, "type": "Object"}},
            "triggers": triggers,
            "actions": actions,
            "outputs": {},
        },
        "parameters": {"$connections": {"value": value}},
    }


def arm_resource(name: str, document: dict[str, Any]) -> dict[str, Any]:
    """The same workflow as the portal's ARM export: ``{"properties": {...}, ...}``."""
    return {
        "id": f"{SUBSCRIPTION}/resourceGroups/mail/providers/Microsoft.Logic/workflows/{name}",
        "name": name,
        "type": "Microsoft.Logic/workflows",
        "location": "westeurope",
        "tags": {"team": "sales"},
        "properties": {"state": "Enabled", **document},
    }


def _http_request(schema: dict[str, Any] | None = None, name: str = "manual") -> dict[str, Any]:
    """The "When a HTTP request is received" trigger as older exports write it (lowercase)."""
    return {
        name: {
            "type": "request",
            "kind": "http",
            "inputs": {"method": "POST", "schema": schema or {}},
        }
    }


def _response(status: int, body: Any, run_after: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "type": "Response",
        "kind": "http",
        "inputs": {"statusCode": status, "body": body},
        "runAfter": run_after,
    }


ORDER_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "quantity": {"type": "integer"}},
    "required": ["name", "quantity"],
}


def request_response() -> dict[str, Any]:
    """Azure/logicapps ``templates/request-response.json`` and Azure/LogicAppsTemplates
    ``receive-request-send-response``: a Request trigger answered by a Response with its own
    status, headers and body."""
    actions = {
        "Response": {
            "description": "Answer the caller with the order's greeting.",
            "type": "Response",
            "kind": "http",
            "inputs": {
                "statusCode": 201,
                "headers": {
                    "Content-Type": "application/json",
                    "X-Order-Name": "@{triggerbody()?['name']}",
                },
                "body": {
                    "greeting": "Hello @{triggerbody()?['name']}",
                    "quantity": "@triggerbody()?['quantity']",
                    "doubled": "@mul(triggerbody()?['quantity'], 2)",
                },
            },
            "runAfter": {},
        }
    }
    triggers = _http_request(ORDER_SCHEMA, name="When_a_HTTP_request_is_received")
    triggers["When_a_HTTP_request_is_received"]["description"] = "An order posted as JSON."
    return code_view(triggers, actions)


ALL_STATUSES = ["SUCCEEDED", "FAILED", "SKIPPED", "TIMEDOUT"]


def try_catch() -> dict[str, Any]:
    """Azure/LogicAppsTemplates ``try-catch``: a Try scope, a Catch scope that runs after it
    FAILED or TIMEDOUT and reads ``result('Try')``, and a Finally that runs whatever happened.
    The Try answers 200 when it gets through; the Catch answers 500 naming the failed action."""
    try_actions = {
        "Compose_order": {
            "type": "Compose",
            "inputs": {"name": "@triggerbody()?['name']"},
            "runAfter": {},
        },
        "Parse_quantity": {
            "type": "Compose",
            "inputs": "@int(triggerbody()?['quantity'])",
            "runAfter": {"Compose_order": ["SUCCEEDED"]},
        },
        "Respond_accepted": _response(
            200, {"quantity": "@outputs('Parse_quantity')"}, {"Parse_quantity": ["SUCCEEDED"]}
        ),
    }
    catch_actions = {
        "Filter_failed_actions": {
            "type": "Query",
            "inputs": {
                "from": "@result('Try')",
                "where": "@equals(item()?['status'], 'Failed')",
            },
            "runAfter": {},
        },
        "Respond_failure": _response(
            500,
            {
                "failedAction": "@first(body('Filter_failed_actions'))?['name']",
                "reason": "@first(body('Filter_failed_actions'))?['error']?['message']",
            },
            {"Filter_failed_actions": ["SUCCEEDED"]},
        ),
    }
    actions = {
        "Try": {"type": "Scope", "actions": try_actions, "runAfter": {}},
        "Catch": {
            "type": "Scope",
            "actions": catch_actions,
            "runAfter": {"Try": ["FAILED", "TIMEDOUT"]},
        },
        "Finally": {
            "type": "Compose",
            "inputs": "@{workflow()?['run']?['name']} done",
            "runAfter": {"Catch": ALL_STATUSES},
        },
    }
    return code_view(_http_request(), actions)


def until_counter(count_limit: int) -> dict[str, Any]:
    """An Until loop counting a variable up to the caller's ``limit`` (``limit.count`` caps
    the iterations), answering the count."""
    actions = {
        "Initialize_counter": {
            "type": "InitializeVariable",
            "inputs": {"variables": [{"name": "counter", "type": "integer", "value": 0}]},
            "runAfter": {},
        },
        "Until_limit_reached": {
            "type": "Until",
            "expression": "@greaterOrEquals(variables('counter'), triggerbody()?['limit'])",
            "limit": {"count": count_limit, "timeout": "PT1H"},
            "actions": {
                "Increment_counter": {
                    "type": "IncrementVariable",
                    "inputs": {"name": "counter", "value": 1},
                    "runAfter": {},
                }
            },
            "runAfter": {"Initialize_counter": ["Succeeded"]},
        },
        "Response": _response(
            200, {"count": "@variables('counter')"}, {"Until_limit_reached": ["Succeeded"]}
        ),
    }
    return code_view(_http_request(), actions)


def ratings_totals() -> dict[str, Any]:
    """Azure/logicapps ``arc-enabled-logic-app-sample/RatingsWorkflow``: array variables
    initialised without a value, a Foreach with one repetition at a time over records, a
    Compose per record appended to the array. The table read becomes the trigger body; a
    total of the ratings is kept with IncrementVariable."""
    record = "items('For_each_record')"
    loop = {
        "Compose_updatedRating": {
            "type": "Compose",
            "inputs": {
                "productId": f"@{record}['productId']",
                "rating": f"@{record}['rating']",
                "userName": f"@{record}?['userName']",
                "label": f"@{{{record}['productId']}}: @{{{record}['rating']}} stars",
            },
            "runAfter": {},
        },
        "Add_rating_to_total": {
            "type": "IncrementVariable",
            "inputs": {"name": "ratingsTotal", "value": f"@{record}['rating']"},
            "runAfter": {"Compose_updatedRating": ["Succeeded"]},
        },
        "Add_current_rating_to_ratingsArray": {
            "type": "AppendToArrayVariable",
            "inputs": {"name": "ratingsArray", "value": "@outputs('Compose_updatedRating')"},
            "runAfter": {"Add_rating_to_total": ["Succeeded"]},
        },
    }
    actions = {
        "Initialize_ratingsArray": {
            "type": "InitializeVariable",
            "inputs": {"variables": [{"name": "ratingsArray", "type": "array"}]},
            "runAfter": {},
        },
        "Initialize_ratingsTotal": {
            "type": "InitializeVariable",
            "inputs": {"variables": [{"name": "ratingsTotal", "type": "integer", "value": 0}]},
            "runAfter": {"Initialize_ratingsArray": ["Succeeded"]},
        },
        "For_each_record": {
            "type": "Foreach",
            "foreach": "@triggerbody()?['value']",
            "actions": loop,
            "runAfter": {"Initialize_ratingsTotal": ["Succeeded"]},
            "runtimeConfiguration": {"concurrency": {"repetitions": 1}},
        },
        "Response": _response(
            200,
            {
                "records": "@length(variables('ratingsArray'))",
                "total": "@variables('ratingsTotal')",
                "labels": "@join(body('Select_labels'), ', ')",
            },
            {"Select_labels": ["Succeeded"]},
        ),
        "Select_labels": {
            "type": "Select",
            "inputs": {"from": "@variables('ratingsArray')", "select": "@item()?['label']"},
            "runAfter": {"For_each_record": ["Succeeded"]},
        },
    }
    return code_view(_http_request(), actions)


def recurrence_email(connection: str, to: str, subject: str) -> dict[str, Any]:
    """A Recurrence workflow that sends an email each tick (the SMTP connector's
    ``Send_an_email_(V3)``), every second; ``subject`` is followed by the scheduled time."""
    recurrence = {"frequency": "Second", "interval": 1}
    triggers = {
        "Recurrence": {
            "type": "Recurrence",
            "recurrence": recurrence,
            "evaluatedRecurrence": dict(recurrence),
        }
    }
    actions = {
        "Send_an_email_(V3)": {
            "type": "ApiConnection",
            "inputs": {
                "host": {
                    "connection": {"name": "@parameters('$connections')['smtp']['connectionId']"}
                },
                "method": "post",
                "path": "/SendEmailV3",
                "body": {
                    "From": "scheduler@example.com",
                    "To": to,
                    "Subject": f"{subject} @{{trigger()?['scheduledTime']}}",
                    "Body": "<p>Scheduled for @{trigger()?['scheduledTime']}.</p>",
                    "Importance": "Normal",
                },
            },
            "runAfter": {},
        }
    }
    return code_view(triggers, actions, {"smtp": connection})


def recurrence_compose() -> dict[str, Any]:
    """A Recurrence workflow without mail, every second: a clock that shows the scheduler
    went on ticking."""
    triggers = {
        "Recurrence": {"type": "Recurrence", "recurrence": {"frequency": "Second", "interval": 1}}
    }
    actions = {
        "Compose": {"type": "Compose", "inputs": "@trigger()?['scheduledTime']", "runAfter": {}}
    }
    return code_view(triggers, actions)
