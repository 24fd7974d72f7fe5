"""Workflows through the HTTP API, run by the app's own engine, mail into a real SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from smtp_connector.config import Settings
from smtp_connector.runtime import Runtime
from support.api import add_connection, serving
from support.db import ENGINES
from support.smtp_server import SmtpTestServer
from support.waiting import wait_until
from support.workflows import (
    actions_of,
    callback_path,
    finished_run,
    put,
    request_only,
    seed_workflow,
)

pytestmark = pytest.mark.parametrize("database_url", ENGINES, indirect=True)


@pytest.fixture
def app(settings: Settings) -> Iterator[tuple[TestClient, Runtime]]:
    with serving(settings) as served:
        yield served


@pytest.fixture
def client(app: tuple[TestClient, Runtime]) -> TestClient:
    return app[0]


def test_a_lead_posted_to_the_callback_url_becomes_an_email(
    client: TestClient, smtp_server: SmtpTestServer
) -> None:
    add_connection(client, smtp_server)
    saved = put(client, "new-lead", seed_workflow())
    assert saved.status_code == 201, saved.text
    assert saved.json()["definition"]["contentVersion"] == "1.0.0.0"  # kept as given
    lead = {"Name": "Jane Doe", "Company": "Contoso", "Email": "jane@example.com"}

    called = client.post(
        callback_path(client, "new-lead"), json=lead, headers={"Authorization": ""}
    )

    assert called.status_code == 202, called.text
    run_id = called.headers["x-ms-workflow-run-id"]
    run = finished_run(client, "new-lead", run_id)
    assert run["status"] == "Succeeded", run
    message = wait_until(lambda: smtp_server.messages, what="the email").pop()
    assert message.rcpt_tos == ("jane@example.com",)
    assert message.message["Subject"] == "New lead: Jane Doe (Contoso)"
    html = message.message.get_body(preferencelist=("html",))
    assert html is not None and "<b>Jane Doe</b> from Contoso" in html.get_content()

    [action] = actions_of(client, "new-lead", run_id).values()
    assert action["name"] == "Send_an_email_(V3)" and action["status"] == "Succeeded"
    assert action["inputs"]["body"]["Subject"] == "New lead: Jane Doe (Contoso)"
    assert action["outputs"]["statusCode"] == 200
    assert action["outputs"]["body"]["messageId"] == message.message["Message-ID"]
    assert run["trigger"]["outputs"]["body"] == lead
    listed = client.get("/v1/workflows/new-lead/runs").json()["value"]
    assert [r["name"] for r in listed] == [run_id]


def test_a_wrong_signature_is_401_and_records_nothing(
    client: TestClient, smtp_server: SmtpTestServer
) -> None:
    add_connection(client, smtp_server)
    put(client, "new-lead", seed_workflow())
    path = callback_path(client, "new-lead")
    forged = path.replace("sig=", "sig=x")
    lead = {"Name": "A", "Email": "a@example.com"}

    for url in (forged, path.split("&sig=")[0]):
        answer = client.post(url, json=lead, headers={"Authorization": ""})
        assert answer.status_code == 401, answer.text

    assert client.get("/v1/workflows/new-lead/runs").json()["value"] == []
    assert client.get("/v1/workflows/new-lead/triggers/manual/histories").json()["value"] == []
    assert smtp_server.messages == []


def test_regenerating_the_access_key_voids_old_urls(client: TestClient) -> None:
    put(client, "echo", request_only({"Compose": {"type": "Compose", "inputs": "x"}}))
    old = callback_path(client, "echo")
    assert client.post("/v1/workflows/echo/regenerateAccessKey").status_code == 204
    assert client.post(old, json={}).status_code == 401
    assert client.post(callback_path(client, "echo"), json={}).status_code == 202


def test_a_body_that_breaks_the_schema_is_400_naming_each_place(
    client: TestClient, smtp_server: SmtpTestServer
) -> None:
    add_connection(client, smtp_server)
    put(client, "new-lead", seed_workflow())

    answer = client.post(callback_path(client, "new-lead"), json={"Name": 5, "Company": "C"})

    assert answer.status_code == 400, answer.text
    fields = {e["field"]: e["message"] for e in answer.json()["errors"]}
    assert set(fields) == {"/body", "/body/Name"}
    assert "Email" in fields["/body"] and "string" in fields["/body/Name"]
    assert client.get("/v1/workflows/new-lead/runs").json()["value"] == []


def test_a_disabled_workflow_answers_409(client: TestClient) -> None:
    put(client, "echo", request_only({"Compose": {"type": "Compose", "inputs": "x"}}))
    path = callback_path(client, "echo")
    assert client.post("/v1/workflows/echo/disable").json()["state"] == "Disabled"
    assert client.post(path, json={}).status_code == 409
    assert client.post("/v1/workflows/echo/enable").json()["state"] == "Enabled"
    assert client.post(path, json={}).status_code == 202


def test_a_response_action_answers_the_caller(client: TestClient) -> None:
    actions = {
        "Compose": {"type": "Compose", "inputs": {"greeting": "Hello @{triggerBody()?['who']}"}},
        "Response": {
            "type": "Response",
            "kind": "Http",
            "inputs": {
                "statusCode": 201,
                "headers": {"X-Greeting": "@{outputs('Compose')?['greeting']}"},
                "body": "@outputs('Compose')",
            },
            "runAfter": {"Compose": ["Succeeded"]},
        },
    }
    put(client, "hello", request_only(actions))

    answer = client.post(callback_path(client, "hello"), json={"who": "Ann"})

    assert answer.status_code == 201, answer.text
    assert answer.json() == {"greeting": "Hello Ann"}
    assert answer.headers["X-Greeting"] == "Hello Ann"
    run = finished_run(client, "hello", answer.headers["x-ms-workflow-run-id"])
    assert run["status"] == "Succeeded"
    assert run["response"]["statusCode"] == 201


def test_a_failing_action_fails_the_run_and_skips_what_follows(client: TestClient) -> None:
    actions = {
        "Parse": {"type": "Compose", "inputs": "@int(triggerBody()?['n'])"},
        "After": {"type": "Compose", "inputs": "never", "runAfter": {"Parse": ["Succeeded"]}},
    }
    put(client, "numbers", request_only(actions))

    called = client.post(callback_path(client, "numbers"), json={"n": "not a number"})

    run = finished_run(client, "numbers", called.headers["x-ms-workflow-run-id"])
    assert run["status"] == "Failed"
    assert run["error"] == {
        "code": "ActionFailed",
        "message": "An action failed. No dependent actions succeeded.",
    }
    records = actions_of(client, "numbers", run["name"])
    assert records["Parse"]["status"] == "Failed"
    assert records["Parse"]["error"]["code"] == "InvalidTemplate"
    assert records["Parse"]["error"]["message"].startswith(
        "Unable to process template language expressions in action 'Parse' inputs"
    )
    assert records["After"]["status"] == "Skipped"
    assert records["After"]["error"]["code"] == "ActionConditionFailed"


def test_try_catch_scope_with_result_and_uppercase_statuses(client: TestClient) -> None:
    """The shape of Azure/LogicAppsTemplates' try-catch template."""
    actions = {
        "Try": {
            "type": "Scope",
            "actions": {"Divide": {"type": "Compose", "inputs": "@div(10, 0)"}},
        },
        "Catch": {
            "type": "Scope",
            "runAfter": {"Try": ["FAILED", "TIMEDOUT"]},
            "actions": {
                "Failures": {
                    "type": "Query",
                    "inputs": {
                        "from": "@result('Try')",
                        "where": "@equals(item()['status'], 'Failed')",
                    },
                },
                "Respond": {
                    "type": "Response",
                    "kind": "Http",
                    "inputs": {
                        "statusCode": 500,
                        "body": {"failed": "@first(body('Failures'))?['name']"},
                    },
                    "runAfter": {"Failures": ["Succeeded"]},
                },
            },
        },
    }
    put(client, "try-catch", request_only(actions))

    answer = client.post(callback_path(client, "try-catch"), json={})

    assert answer.status_code == 500, answer.text
    assert answer.json() == {"failed": "Divide"}
    run = finished_run(client, "try-catch", answer.headers["x-ms-workflow-run-id"])
    assert run["status"] == "Succeeded"  # the failure was handled
    records = actions_of(client, "try-catch", run["name"])
    assert (records["Try"]["status"], records["Catch"]["status"]) == ("Failed", "Succeeded")
    failures = records["Failures"]
    assert failures["inputs"]["where"] == "@equals(item()['status'], 'Failed')"
    assert [r["name"] for r in failures["inputs"]["from"]] == ["Divide"]


def test_foreach_with_variables_and_an_until_loop(client: TestClient) -> None:
    actions: dict[str, Any] = {
        "Init_total": {
            "type": "InitializeVariable",
            "inputs": {"variables": [{"name": "total", "type": "integer", "value": 0}]},
        },
        "Init_names": {
            "type": "InitializeVariable",
            "inputs": {"variables": [{"name": "names", "type": "Array", "value": []}]},
            "runAfter": {"Init_total": ["Succeeded"]},
        },
        "For_each": {
            "type": "Foreach",
            "foreach": "@triggerBody()?['items']",
            "operationOptions": "Sequential",
            "actions": {
                "Add": {
                    "type": "IncrementVariable",
                    "inputs": {"name": "total", "value": "@item()?['n']"},
                },
                "Remember": {
                    "type": "AppendToArrayVariable",
                    "inputs": {"name": "Names", "value": "@toUpper(items('For_each')?['name'])"},
                    "runAfter": {"Add": ["Succeeded"]},
                },
            },
            "runAfter": {"Init_names": ["Succeeded"]},
        },
        "Countdown": {
            "type": "Until",
            "expression": "@lessOrEquals(variables('total'), 0)",
            "limit": {"count": 100, "timeout": "PT1H"},
            "actions": {
                "Down": {"type": "DecrementVariable", "inputs": {"name": "total", "value": 2}}
            },
            "runAfter": {"For_each": ["Succeeded"]},
        },
        "Response": {
            "type": "Response",
            "inputs": {
                "statusCode": 200,
                "body": {"names": "@variables('names')", "left": "@variables('total')"},
            },
            "runAfter": {"Countdown": ["Succeeded"]},
        },
    }
    put(client, "loops", request_only(actions))
    items = [{"name": "a", "n": 3}, {"name": "b", "n": 4}, {"name": "c", "n": 1}]

    answer = client.post(callback_path(client, "loops"), json={"items": items})

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"names": ["A", "B", "C"], "left": 0}
    run_id = answer.headers["x-ms-workflow-run-id"]
    listed = client.get(f"/v1/workflows/loops/runs/{run_id}/actions").json()["value"]
    adds = [a for a in listed if a["name"] == "Add"]
    assert [a["repetitionIndexes"] for a in adds] == [
        [{"scopeName": "For_each", "itemIndex": i}] for i in range(3)
    ]
    downs = [a for a in listed if a["name"] == "Down"]
    assert len(downs) == 4  # 8 -> 6 -> 4 -> 2 -> 0


def test_runs_are_listed_newest_first_with_paging_and_a_status_filter(client: TestClient) -> None:
    actions = {"Check": {"type": "Compose", "inputs": "@int(triggerBody()?['n'])"}}
    put(client, "pages", request_only(actions))
    path = callback_path(client, "pages")
    ids = []
    for n in ("1", "x", "2", "y", "3"):
        called = client.post(path, json={"n": n})
        ids.append(called.headers["x-ms-workflow-run-id"])
        finished_run(client, "pages", ids[-1])

    first = client.get("/v1/workflows/pages/runs", params={"top": 2}).json()
    second = client.get(first["nextLink"]).json()
    third = client.get(second["nextLink"]).json()

    names = [r["name"] for page in (first, second, third) for r in page["value"]]
    assert names == list(reversed(ids))
    assert "nextLink" not in third
    failed = client.get("/v1/workflows/pages/runs", params={"status": "failed"}).json()["value"]
    assert [r["name"] for r in failed] == [ids[3], ids[1]]


def test_fire_by_hand_cancel_and_resubmit(client: TestClient) -> None:
    actions = {"Pause": {"type": "Wait", "inputs": {"interval": {"count": 1, "unit": "Hour"}}}}
    put(client, "slow", request_only(actions))

    fired = client.post("/v1/workflows/slow/triggers/manual/run")
    assert fired.status_code == 202, fired.text
    [run_id] = fired.json()["runs"]
    waiting = wait_until(
        lambda: (
            (r := client.get(f"/v1/workflows/slow/runs/{run_id}").json())["status"] == "Waiting"
            and r
        ),
        what="the run waiting on its timer",
    )
    assert waiting["waitEndTime"] is not None
    cancelled = client.post(f"/v1/workflows/slow/runs/{run_id}/cancel").json()
    assert cancelled["status"] == "Cancelled"

    again = client.post(f"/v1/workflows/slow/runs/{run_id}/resubmit")
    assert again.status_code == 202
    [new_id] = again.json()["runs"]
    assert new_id != run_id
    history = client.get("/v1/workflows/slow/triggers/manual/histories").json()["value"]
    assert history[0]["fired"] is True and history[0]["runs"] == [run_id]


def test_a_recurrence_workflow_sends_an_email_each_tick_until_disabled(
    client: TestClient, smtp_server: SmtpTestServer
) -> None:
    add_connection(client, smtp_server)
    document = seed_workflow()
    definition = document["definition"]
    definition["triggers"] = {
        "Recurrence": {
            "type": "Recurrence",
            "recurrence": {"frequency": "Second", "interval": 1},
            "evaluatedRecurrence": {"frequency": "Second", "interval": 1},
        }
    }
    body = definition["actions"]["Send_an_email_(V3)"]["inputs"]["body"]
    body.update(To="ops@example.com", Subject="Tick at @{trigger()?['scheduledTime']}")
    put(client, "ticker", document)

    wait_until(lambda: len(smtp_server.messages) >= 3, timeout=20, what="three ticks")
    client.post("/v1/workflows/ticker/disable")
    stopped_at = len(client.get("/v1/workflows/ticker/runs?top=250").json()["value"])

    history = client.get("/v1/workflows/ticker/triggers/Recurrence/histories").json()["value"]
    assert all(h["fired"] and h["scheduledTime"] for h in history)
    times = [h["scheduledTime"] for h in history]
    assert len(set(times)) == len(times)  # each tick fired once
    subjects = {str(m.message["Subject"]) for m in smtp_server.messages}
    assert all(s.startswith("Tick at 20") for s in subjects)
    runs = client.get("/v1/workflows/ticker/runs?top=250").json()["value"]
    assert len(runs) <= stopped_at + 1  # at most a tick that was firing as it was disabled
    assert client.get("/v1/workflows/ticker").json()["definition"]["triggers"]["Recurrence"][
        "evaluatedRecurrence"
    ] == {"frequency": "Second", "interval": 1}


def test_the_callback_url_has_the_arm_shape_and_list_callback_url_gives_it_in_a_run(
    client: TestClient,
) -> None:
    actions = {
        "Response": {
            "type": "Response",
            "inputs": {"statusCode": 200, "body": {"url": "@listCallbackUrl()"}},
        }
    }
    document = request_only(actions)
    document["definition"]["triggers"]["manual"]["inputs"]["relativePath"] = "leads/{id}"
    put(client, "self-link", document)

    answer = client.post("/v1/workflows/self-link/triggers/manual/listCallbackUrl").json()

    assert set(answer) == {"value", "method", "basePath", "queries", "relativePath"}
    assert answer["method"] == "POST" and answer["relativePath"] == "leads/{id}"
    queries = answer["queries"]
    assert queries["api-version"] == "2016-10-01" and queries["sv"] == "1.0"
    assert queries["sp"] == "/triggers/manual/run"
    assert answer["basePath"].endswith("/v1/workflows/self-link/triggers/manual/invoke")
    assert "?api-version=2016-10-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=" in answer["value"]
    path = answer["value"].split("/v1/", 1)[1].replace("%7Bid%7D", "42").replace("{id}", "42")
    called = client.post("/v1/" + path, json={})
    assert called.status_code == 200, called.text
    in_run = called.json()["url"]
    assert in_run.split("/v1/", 1)[1] == answer["value"].split("/v1/", 1)[1]
    run = finished_run(client, "self-link", called.headers["x-ms-workflow-run-id"])
    assert run["trigger"]["outputs"]["relativePathParameters"] == {"id": "42"}
    wrong_path = "/v1/" + path.replace("/42?", "/42/extra?")
    assert client.post(wrong_path, json={}).status_code == 400


def test_a_bad_definition_is_a_400_with_a_pointer_for_every_problem_and_saves_nothing(
    client: TestClient,
) -> None:
    document = seed_workflow(connection="no-such-connection")
    actions = document["definition"]["actions"]
    actions["Send_an_email_(V3)"]["inputs"]["body"]["Subject"] = "Hi @{triggerBody()?['Name'}"
    actions["Shout"] = {"type": "Compose", "inputs": "@shout(triggerBody())"}
    actions["A"] = {"type": "Compose", "inputs": 1, "runAfter": {"B": ["Succeeded"]}}
    actions["B"] = {"type": "Compose", "inputs": 1, "runAfter": {"A": ["Succeeded"]}}
    actions["Call"] = {"type": "Http", "inputs": {"method": "GET", "uri": "https://x"}}

    answer = client.put("/v1/workflows/broken", json=document)

    assert answer.status_code == 400, answer.text
    errors = {e["pointer"]: e for e in answer.json()["errors"]}
    send = "/definition/actions/Send_an_email_(V3)/inputs"
    assert set(errors) == {
        f"{send}/body/Subject",
        f"{send}/host/connection",
        "/definition/actions/Shout/inputs",
        "/definition/actions/A/runAfter",
        "/definition/actions/B/runAfter",
        "/definition/actions/Call/type",
    }
    assert errors[f"{send}/body/Subject"]["column"] > 4
    assert (
        "no connection named 'no-such-connection'" in errors[f"{send}/host/connection"]["message"]
    )
    assert "'shout' is not defined" in errors["/definition/actions/Shout/inputs"]["message"]
    assert "cycle" in errors["/definition/actions/A/runAfter"]["message"]
    assert "'Http' is not supported" in errors["/definition/actions/Call/type"]["message"]
    assert client.get("/v1/workflows/broken").status_code == 404
    arm = client.put("/v1/workflows/broken", json={"properties": document, "location": "x"})
    assert {e["pointer"] for e in arm.json()["errors"]} >= {"/properties" + f"{send}/body/Subject"}


def test_split_on_starts_one_run_per_item_and_false_conditions_start_none(
    client: TestClient,
) -> None:
    document = request_only({"Echo": {"type": "Compose", "inputs": "@triggerBody()?['id']"}})
    trigger = document["definition"]["triggers"]["manual"]
    trigger["splitOn"] = "@triggerBody()?['records']"
    trigger["conditions"] = [{"expression": "@not(empty(triggerBody()?['records']))"}]
    put(client, "split", document)
    path = callback_path(client, "split")

    called = client.post(path, json={"records": [{"id": 1}, {"id": 2}, {"id": 3}]})
    skipped = client.post(path, json={"records": []})

    assert called.status_code == 202 and skipped.status_code == 202
    assert "x-ms-workflow-run-id" not in skipped.headers
    history = client.get("/v1/workflows/split/triggers/manual/histories").json()["value"]
    assert [(h["status"], h["fired"], len(h["runs"])) for h in history] == [
        ("Skipped", False, 0),
        ("Succeeded", True, 3),
    ]
    outputs = sorted(
        actions_of(client, "split", finished_run(client, "split", run)["name"])["Echo"]["outputs"]
        for run in history[1]["runs"]
    )
    assert outputs == [1, 2, 3]


def test_a_wait_sleeps_in_the_database_and_the_run_goes_on_after_it(client: TestClient) -> None:
    actions = {
        "Pause": {"type": "Wait", "inputs": {"interval": {"count": 1, "unit": "Second"}}},
        "After": {"type": "Compose", "inputs": "@utcNow()", "runAfter": {"Pause": ["Succeeded"]}},
    }
    put(client, "nap", request_only(actions))

    called = client.post(callback_path(client, "nap"), json={})

    run = finished_run(client, "nap", called.headers["x-ms-workflow-run-id"])
    assert run["status"] == "Succeeded"
    assert run["attempts"] == 2  # taken again from the database when the timer was due
    records = actions_of(client, "nap", run["name"])
    assert records["After"]["outputs"] >= records["Pause"]["startTime"]
    assert (
        datetime.fromisoformat(records["Pause"]["endTime"])
        - datetime.fromisoformat(records["Pause"]["startTime"])
    ).total_seconds() >= 1


def test_a_bare_definition_is_accepted_and_its_problems_point_into_it(client: TestClient) -> None:
    bare = request_only({"Echo": {"type": "Compose", "inputs": "@triggerBody()"}})["definition"]
    saved = client.put("/v1/workflows/bare", json=bare)
    assert saved.status_code == 201, saved.text
    assert saved.json()["definition"] == bare and saved.json()["state"] == "Enabled"
    broken = {**bare, "actions": {"Echo": {"type": "Compose", "inputs": "@nope()"}}}
    answer = client.put("/v1/workflows/bare", json=broken)
    assert [e["pointer"] for e in answer.json()["errors"]] == ["/actions/Echo/inputs"]


def test_a_response_later_than_the_limit_is_504_and_the_run_goes_on(settings: Settings) -> None:
    """``WORKFLOW_RESPONSE_SECONDS`` (120 by default) set to 1 here: the caller is answered 504
    while the run, waiting 2 s before its Response, finishes on its own."""
    actions = {
        "Pause": {"type": "Wait", "inputs": {"interval": {"count": 2, "unit": "Second"}}},
        "Response": {
            "type": "Response",
            "inputs": {"statusCode": 200, "body": "late"},
            "runAfter": {"Pause": ["Succeeded"]},
        },
    }
    with serving(settings.model_copy(update={"workflow_response_seconds": 1.0})) as (client, _):
        put(client, "slow-answer", request_only(actions))

        answer = client.post(callback_path(client, "slow-answer"), json={})

        assert answer.status_code == 504, answer.text
        assert answer.json()["code"] == "response_timeout"
        run = finished_run(client, "slow-answer", answer.headers["x-ms-workflow-run-id"])
        assert run["status"] == "Succeeded" and run["response"]["body"] == "late"


def test_hostile_bodies_to_a_callback_url_are_400_or_413_and_start_nothing(
    settings: Settings,
) -> None:
    """Bodies are bounded like Send Email's (``MAX_MESSAGE_BYTES``, 1 MB here, so that the
    test need not send 48 MB): beyond it 413; JSON nested too deep or broken is 400."""
    small = settings.model_copy(update={"max_message_bytes": 1_000_000})
    with serving(small) as (client, _):
        document = request_only({"Echo": {"type": "Compose", "inputs": "@triggerBody()"}})
        put(client, "echo", document)
        path = callback_path(client, "echo")
        json_header = {"Content-Type": "application/json"}

        nested = client.post(path, content=b"[" * 100_000 + b"]" * 100_000, headers=json_header)
        broken = client.post(path, content=b'{"a": ', headers=json_header)
        huge = client.post(path, content=b" " * 3_000_000, headers=json_header)

        assert (nested.status_code, broken.status_code, huge.status_code) == (400, 400, 413)
        assert nested.json()["errors"][0]["field"] == "body"
        assert client.get("/v1/workflows/echo/runs").json()["value"] == []


def test_the_definitions_outputs_are_evaluated_when_the_run_ends(
    client: TestClient, smtp_server: SmtpTestServer
) -> None:
    add_connection(client, smtp_server)
    document = seed_workflow()
    document["definition"]["outputs"] = {
        "leadName": {"type": "String", "value": "@triggerBody()?['Name']"},
        "sent": {"type": "Object", "value": "@body('Send_an_email_(V3)')?['accepted']"},
        "contact": {"type": "SecureString", "value": "@triggerBody()?['Email']"},
        "broken": {"type": "Int", "value": "@int(triggerBody()?['Name'])"},
    }
    put(client, "new-lead", document)
    lead = {"Name": "Jane Doe", "Company": "Contoso", "Email": "jane@example.com"}
    called = client.post(
        callback_path(client, "new-lead"), json=lead, headers={"Authorization": ""}
    )

    run = finished_run(client, "new-lead", called.headers["x-ms-workflow-run-id"])

    assert run["status"] == "Succeeded"  # an output that fails does not fail the run
    outputs = run["outputs"]
    assert outputs["leadName"] == {"type": "String", "value": "Jane Doe"}
    assert outputs["sent"] == {"type": "Object", "value": ["jane@example.com"]}
    assert outputs["contact"] == {"type": "SecureString"}
    assert outputs["broken"]["error"]["code"] == "InvalidTemplate"
    assert (
        "'int' was invoked with a parameter that is not valid"
        in (outputs["broken"]["error"]["message"])
    )
    assert "jane@example.com" not in str(outputs["contact"])
    listed = client.get("/v1/workflows/new-lead/runs").json()["value"][0]
    assert listed["outputs"] == outputs


def test_secure_inputs_and_outputs_are_not_shown_in_the_run_history(
    client: TestClient, smtp_server: SmtpTestServer
) -> None:
    add_connection(client, smtp_server)
    document = seed_workflow()
    actions = document["definition"]["actions"]
    send = actions["Send_an_email_(V3)"]
    actions["Secret"] = {
        "type": "Compose",
        "inputs": "token-@{triggerBody()?['Email']}",
        "runAfter": {},
        "runtimeConfiguration": {"secureData": {"properties": ["Inputs", "outputs"]}},
    }
    send["runAfter"] = {"Secret": ["Succeeded"]}
    send["inputs"]["body"]["Subject"] = "@{outputs('Secret')}"
    send["runtimeConfiguration"] = {"secureData": {"properties": ["outputs"]}}
    put(client, "new-lead", document)
    lead = {"Name": "Jane Doe", "Company": "Contoso", "Email": "jane@example.com"}
    called = client.post(
        callback_path(client, "new-lead"), json=lead, headers={"Authorization": ""}
    )
    run = finished_run(client, "new-lead", called.headers["x-ms-workflow-run-id"])
    assert run["status"] == "Succeeded"

    records = actions_of(client, "new-lead", run["name"])
    assert records["Secret"]["inputs"] is None and records["Secret"]["outputs"] is None
    assert records["Secret"]["secured"] == ["inputs", "outputs"]
    assert records["Send_an_email_(V3)"]["outputs"] is None
    assert records["Send_an_email_(V3)"]["secured"] == ["outputs"]
    assert records["Send_an_email_(V3)"]["inputs"]["body"]["To"] == "jane@example.com"
    # The run itself still used the secured value.
    [message] = smtp_server.messages
    assert message.message["Subject"] == "token-jane@example.com"
