"""The fake Salesforce itself, over real HTTP: OAuth, sessions, describe, SOQL, paging, faults.

One server serves the whole module (uvicorn takes a fraction of a second to stop); each test
starts from ``reset()`` with one user, a Lead object and the default configuration.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from support.salesforce_server import FakeSalesforce, RecordedRequest
from support.waiting import wait_until

V = "/services/data/v62.0"
ORG = "00D5g000000TEST1"
USER, PASSWORD, SECURITY_TOKEN = "ada@example.com", "pw", "TOKEN"
LEAD_FIELDS = {
    "Name": "string",
    "Company": "string",
    "Email": "email",
    "LeadSource": "picklist",
    "Status": "picklist",
    "Score__c": "double",
    "Converted": "boolean",
}
T0 = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
INVALID_SESSION = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
NOT_FOUND = [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]


@pytest.fixture(scope="module")
def running() -> Iterator[FakeSalesforce]:
    with FakeSalesforce(client_id="test-client", client_secret="test-secret", org_id=ORG) as sf:
        yield sf


@pytest.fixture
def sf(running: FakeSalesforce) -> Iterator[FakeSalesforce]:
    """The module's server, reset: user ``ada``, object ``Lead``, no records, defaults."""
    running.reset()
    running.page_size, running.token_calls = 2000, None
    running.client_credentials, running.api_limit = True, 15000
    running.add_user(USER, password=PASSWORD, security_token=SECURITY_TOKEN)
    running.add_object("Lead", LEAD_FIELDS)
    yield running
    assert not running.errors


@pytest.fixture
def http(sf: FakeSalesforce) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sf.url, timeout=5.0) as client:
        yield client


def password_grant(**overrides: str) -> dict[str, str]:
    form = {
        "grant_type": "password",
        "client_id": "test-client",
        "client_secret": "test-secret",
        "username": USER,
        "password": PASSWORD + SECURITY_TOKEN,
    }
    form.update(overrides)
    return form


def login(http: httpx.Client) -> str:
    response = http.post("/services/oauth2/token", data=password_grant())
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def query(http: httpx.Client, token: str, soql: str, **headers: str) -> httpx.Response:
    return http.get(f"{V}/query", params={"q": soql}, headers=bearer(token) | headers)


def ok_records(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["done"] is True
    records: list[dict[str, Any]] = body["records"]
    assert body["totalSize"] == len(records)
    return records


def names(response: httpx.Response) -> list[str]:
    return [r["Name"] for r in ok_records(response)]


def lead_names(condition: str, order: str = "") -> str:
    """``SELECT Name FROM Lead WHERE <condition> [ORDER BY <order>]``."""
    soql = "SELECT Name FROM Lead WHERE " + condition  # noqa: S608 - tests write their SOQL
    return f"{soql} ORDER BY {order}" if order else soql


def soql_quote(value: str) -> str:
    """How a careful client puts text in a SOQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


# -- OAuth ---------------------------------------------------------------------------------------


def test_password_grant_answers_like_salesforce(sf: FakeSalesforce, http: httpx.Client) -> None:
    grace_id = sf.add_user("grace@example.com", "hopper", security_token="NAVY")
    before = int(time.time() * 1000)
    response = http.post(
        "/services/oauth2/token",
        data=password_grant(username="grace@example.com", password="hopperNAVY"),
    )
    after = int(time.time() * 1000)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    body = response.json()
    assert set(body) == {
        "access_token",
        "instance_url",
        "id",
        "token_type",
        "issued_at",
        "signature",
    }
    assert body["instance_url"] == sf.url
    assert body["token_type"] == "Bearer"
    assert body["access_token"].startswith(ORG + "!")
    assert body["id"] == f"{sf.url}/id/{ORG}/{grace_id}"
    assert grace_id.startswith("005") and len(grace_id) == 18
    assert before <= int(body["issued_at"]) <= after
    expected = hmac.new(
        b"test-secret", (body["id"] + body["issued_at"]).encode(), hashlib.sha256
    ).digest()
    assert base64.b64decode(body["signature"]) == expected
    assert sf.tokens_issued == 1


def test_usernames_ignore_case_and_a_user_may_have_no_security_token(
    sf: FakeSalesforce, http: httpx.Client
) -> None:
    grace_id = sf.add_user("grace@example.com", "hopper")  # no security token
    response = http.post(
        "/services/oauth2/token",
        data=password_grant(username="GRACE@example.com", password="hopper"),
    )
    assert response.json()["id"] == f"{sf.url}/id/{ORG}/{grace_id}"


@pytest.mark.parametrize(
    ("form", "error", "description"),
    [
        ({"password": PASSWORD}, "invalid_grant", "authentication failure"),  # token missing
        ({"password": "nope" + SECURITY_TOKEN}, "invalid_grant", "authentication failure"),
        ({"username": "nobody@example.com"}, "invalid_grant", "authentication failure"),
        ({"client_id": "other-client"}, "invalid_client_id", "client identifier invalid"),
        ({"client_secret": "wrong"}, "invalid_client", "invalid client credentials"),
        (
            {"grant_type": "authorization_code"},
            "unsupported_grant_type",
            "grant type not supported",
        ),
        ({"grant_type": ""}, "unsupported_grant_type", "grant type not supported"),
    ],
)
def test_token_errors(
    sf: FakeSalesforce, http: httpx.Client, form: dict[str, str], error: str, description: str
) -> None:
    response = http.post("/services/oauth2/token", data=password_grant(**form))
    assert response.status_code == 400
    assert response.json() == {"error": error, "error_description": description}
    assert sf.tokens_issued == 0


def test_client_credentials_in_the_body_or_basic_run_as_the_run_as_user(
    sf: FakeSalesforce, http: httpx.Client
) -> None:
    integration_id = sf.add_user("integration@example.com", "x", run_as=True)
    in_body = http.post(
        "/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "test-client",
            "client_secret": "test-secret",
        },
    )
    in_basic = http.post(
        "/services/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=("test-client", "test-secret"),
    )
    for response in (in_body, in_basic):
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["scope"] == "api"
        assert body["token_type"] == "Bearer"
        assert body["instance_url"] == sf.url
        assert body["id"] == f"{sf.url}/id/{ORG}/{integration_id}"
        assert http.get(f"{V}/sobjects", headers=bearer(body["access_token"])).status_code == 200
    assert in_body.json()["access_token"] != in_basic.json()["access_token"]
    assert sf.tokens_issued == 2


def test_client_credentials_errors(sf: FakeSalesforce, http: httpx.Client) -> None:
    grant = {"grant_type": "client_credentials"}
    wrong_secret = http.post("/services/oauth2/token", data=grant, auth=("test-client", "nope"))
    assert wrong_secret.status_code == 400
    assert wrong_secret.json() == {
        "error": "invalid_client",
        "error_description": "invalid client credentials",
    }
    unknown = http.post("/services/oauth2/token", data=grant, auth=("someone", "test-secret"))
    assert unknown.json() == {
        "error": "invalid_client_id",
        "error_description": "client identifier invalid",
    }

    sf.client_credentials = False  # what login.salesforce.com answers
    refused = http.post("/services/oauth2/token", data=grant, auth=("test-client", "test-secret"))
    assert refused.status_code == 400
    assert refused.json() == {
        "error": "unsupported_grant_type",
        "error_description": "grant type not supported",
    }
    assert sf.tokens_issued == 0


# -- sessions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic dGVzdDp0ZXN0"}],
    ids=["none", "unknown", "basic"],
)
def test_rest_without_a_valid_token_is_401(
    sf: FakeSalesforce, http: httpx.Client, headers: dict[str, str]
) -> None:
    response = http.get(f"{V}/query", params={"q": "SELECT Id FROM Lead"}, headers=headers)
    assert response.status_code == 401
    assert response.json() == INVALID_SESSION
    assert response.headers["WWW-Authenticate"] == "Token"
    assert response.headers["Sforce-Limit-Info"] == "api-usage=0/15000"
    assert sf.rest_calls == 0


def test_a_token_stops_working_after_token_calls(sf: FakeSalesforce, http: httpx.Client) -> None:
    sf.token_calls = 2
    first = login(http)
    assert query(http, first, "SELECT Id FROM Lead").status_code == 200
    assert query(http, first, "SELECT Id FROM Lead").status_code == 200
    expired = query(http, first, "SELECT Id FROM Lead")
    assert expired.status_code == 401
    assert expired.json() == INVALID_SESSION

    second = login(http)
    assert query(http, second, "SELECT Id FROM Lead").status_code == 200
    assert query(http, first, "SELECT Id FROM Lead").status_code == 401
    assert (sf.tokens_issued, sf.rest_calls) == (2, 3)


def test_expire_tokens_forces_a_new_login(sf: FakeSalesforce, http: httpx.Client) -> None:
    token = login(http)
    sf.expire_tokens()
    assert query(http, token, "SELECT Id FROM Lead").status_code == 401
    assert query(http, login(http), "SELECT Id FROM Lead").status_code == 200


def test_versions_resources_and_unknown_paths(sf: FakeSalesforce, http: httpx.Client) -> None:
    versions = http.get("/services/data/")  # no token needed, as in Salesforce
    assert versions.status_code == 200
    listed = versions.json()
    assert listed[0] == {"label": "Summer '14", "url": "/services/data/v31.0", "version": "31.0"}
    assert {"label": "Winter '25", "url": V, "version": "62.0"} in listed

    token = login(http)
    assert http.get(f"{V}/", headers=bearer(token)).json() == {
        "sobjects": f"{V}/sobjects",
        "query": f"{V}/query",
    }
    for path in ("/services/data/v99.0/query", "/services/data/v62/query", f"{V}/nothing"):
        response = http.get(path, params={"q": "SELECT Id FROM Lead"}, headers=bearer(token))
        assert response.status_code == 404, path
        assert response.json() == NOT_FOUND
    posted = http.post(f"{V}/query", headers=bearer(token))
    assert posted.status_code == 405
    assert posted.json() == [
        {
            "errorCode": "METHOD_NOT_ALLOWED",
            "message": "HTTP Method 'POST' not allowed. Allowed are GET,HEAD",
        }
    ]


# -- describe ------------------------------------------------------------------------------------


def test_describe(sf: FakeSalesforce, http: httpx.Client) -> None:
    token = login(http)
    response = http.get(f"{V}/sobjects/lead/describe", headers=bearer(token))
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("name", "label", "queryable", "keyPrefix")} == {
        "name": "Lead",
        "label": "Lead",
        "queryable": True,
        "keyPrefix": "00Q",
    }
    assert [(f["name"], f["type"], f["label"]) for f in body["fields"]] == [
        ("Id", "id", "Lead ID"),
        ("Name", "string", "Name"),
        ("Company", "string", "Company"),
        ("Email", "email", "Email"),
        ("LeadSource", "picklist", "Lead Source"),
        ("Status", "picklist", "Status"),
        ("Score__c", "double", "Score"),
        ("Converted", "boolean", "Converted"),
        ("CreatedDate", "datetime", "Created Date"),
        ("LastModifiedDate", "datetime", "Last Modified Date"),
        ("SystemModstamp", "datetime", "System Modstamp"),
    ]
    missing = http.get(f"{V}/sobjects/Foo/describe", headers=bearer(token))
    assert missing.status_code == 404
    assert missing.json() == NOT_FOUND


# -- queries -------------------------------------------------------------------------------------


def test_query_with_filter_order_and_limit(sf: FakeSalesforce, http: httpx.Client) -> None:
    ada = sf.add_record("Lead", Name="Ada", Company="Analytical", Status="Open", created=T0)
    sf.add_record("Lead", Name="Babbage", Company="Engines", Status="Closed", created=T0)
    grace = sf.add_record("Lead", Name="Grace", Company="Navy", Status="open", Score__c=9.5)
    sf.add_record("Lead", Name="Alan", Company="Bletchley", Status="Open")

    response = query(
        http,
        login(http),
        "select status, NAME, Id, createddate from LEAD "
        "where Status = 'OPEN' and Name != 'Alan' order by Name desc limit 5",
    )
    records = ok_records(response)
    assert response.headers["Sforce-Limit-Info"] == "api-usage=1/15000"
    assert [list(r) for r in records] == [["attributes", "Status", "Name", "Id", "CreatedDate"]] * 2
    assert records == [
        {
            "attributes": {"type": "Lead", "url": f"{V}/sobjects/Lead/{grace['Id']}"},
            "Status": "open",
            "Name": "Grace",
            "Id": grace["Id"],
            "CreatedDate": grace["CreatedDate"].strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
        },
        {
            "attributes": {"type": "Lead", "url": f"{V}/sobjects/Lead/{ada['Id']}"},
            "Status": "Open",
            "Name": "Ada",
            "Id": ada["Id"],
            "CreatedDate": "2024-01-02T03:04:05.000+0000",
        },
    ]
    token = login(http)
    assert names(query(http, token, "SELECT Name FROM Lead ORDER BY Name LIMIT 2")) == [
        "Ada",
        "Alan",
    ]
    assert names(query(http, token, "SELECT Name FROM Lead WHERE Score__c >= 9")) == ["Grace"]
    assert names(query(http, token, "SELECT Name FROM Lead WHERE Score__c = null LIMIT 0")) == []


def test_ids_have_the_key_prefix_and_increase(sf: FakeSalesforce) -> None:
    ids = [sf.add_record("Lead", Name=str(n))["Id"] for n in range(70)]
    assert all(len(i) == 18 and i.startswith("00Q") for i in ids)
    assert ids == sorted(ids) and len(set(ids)) == 70


def test_paging_with_small_pages_is_frozen_at_the_first_query(
    sf: FakeSalesforce, http: httpx.Client
) -> None:
    sf.page_size = 2
    leads = [sf.add_record("Lead", Name=f"Lead {n}", created=T0) for n in range(5)]
    token = login(http)
    first = query(http, token, "SELECT Id, Name FROM Lead ORDER BY Name")
    body = first.json()
    assert (body["totalSize"], body["done"], len(body["records"])) == (5, False, 2)
    next_url = body["nextRecordsUrl"]
    locator = next_url.removeprefix(f"{V}/query/").rsplit("-", 1)[0]
    assert next_url == f"{V}/query/{locator}-2"

    sf.add_record("Lead", Name="Lead 0.5")  # after the query ran: not in its pages
    sf.update_record("Lead", leads[3]["Id"], Name="Renamed")

    seen = [r["Name"] for r in body["records"]]
    pages = 1
    while not body["done"]:
        response = http.get(body["nextRecordsUrl"], headers=bearer(token))
        assert response.status_code == 200
        body = response.json()
        assert body["totalSize"] == 5
        seen += [r["Name"] for r in body["records"]]
        pages += 1
    assert "nextRecordsUrl" not in body
    assert pages == 3
    assert seen == [f"Lead {n}" for n in range(5)]

    again = http.get(f"{V}/query/{locator}-4", headers=bearer(token)).json()
    assert (again["done"], [r["Name"] for r in again["records"]]) == (True, ["Lead 4"])
    sf.page_size = 2000
    assert names(query(http, token, "SELECT Name FROM Lead ORDER BY Name")) == [
        "Lead 0",
        "Lead 0.5",
        "Lead 1",
        "Lead 2",
        "Lead 4",
        "Renamed",
    ]


def test_batch_size_header_and_bad_locators(sf: FakeSalesforce, http: httpx.Client) -> None:
    for n in range(7):
        sf.add_record("Lead", Name=f"L{n}")
    token = login(http)
    body = query(
        http, token, "SELECT Name FROM Lead", **{"Sforce-Query-Options": "batchSize=3"}
    ).json()
    assert (len(body["records"]), body["nextRecordsUrl"].endswith("-3")) == (3, True)
    locator = body["nextRecordsUrl"].rsplit("-", 1)[0]
    for path in (f"{V}/query/01g5g0000000000AAA-3", f"{locator}-8", locator, f"{locator}-x"):
        response = http.get(path, headers=bearer(token))
        assert response.status_code == 400, path
        assert response.json() == [
            {"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}
        ]


def test_records_added_while_running_are_seen_by_the_next_query(
    sf: FakeSalesforce, http: httpx.Client
) -> None:
    token = login(http)
    assert names(query(http, token, "SELECT Name FROM Lead")) == []
    sf.add_record("Lead", Name="New")
    assert names(query(http, token, "SELECT Name FROM Lead")) == ["New"]


def test_escaped_quotes_match_and_injection_stays_in_the_literal(
    sf: FakeSalesforce, http: httpx.Client
) -> None:
    sf.add_record("Lead", Name="O'Brien")
    sf.add_record("Lead", Name="back\\slash")
    sf.add_record("Lead", Name="Other")
    token = login(http)

    assert names(query(http, token, "SELECT Name FROM Lead WHERE Name = 'o\\'brien'")) == [
        "O'Brien"
    ]
    backslash = soql_quote("back\\slash")
    assert backslash == "'back\\\\slash'"
    assert names(query(http, token, lead_names(f"Name = {backslash}"))) == ["back\\slash"]
    attack = "x' OR Name != 'y"
    quoted = soql_quote(attack)
    assert names(query(http, token, lead_names(f"Name = {quoted}"))) == []
    sf.add_record("Lead", Name=attack)
    assert names(query(http, token, lead_names(f"Name = {quoted}"))) == [attack]
    unescaped = query(http, token, lead_names(f"Name = '{attack}'"))
    assert unescaped.status_code == 200  # the naive query is a different query: it matches all
    assert len(ok_records(unescaped)) == 4


def test_like_with_escaped_percent_and_underscore(sf: FakeSalesforce, http: httpx.Client) -> None:
    for name in ("100% Pure", "100 Pure", "100%", "a_b", "axb"):
        sf.add_record("Lead", Name=name)
    token = login(http)

    def like(pattern: str) -> list[str]:
        return names(query(http, token, lead_names(f"Name LIKE '{pattern}'")))

    assert like("100%") == ["100% Pure", "100 Pure", "100%"]
    assert like("100\\%%") == ["100% Pure", "100%"]
    assert like("100\\%") == ["100%"]
    assert like("a_b") == ["a_b", "axb"]
    assert like("a\\_b") == ["a_b"]
    assert like("%PURE") == ["100% Pure", "100 Pure"]


def test_datetime_comparisons_with_offsets(sf: FakeSalesforce, http: httpx.Client) -> None:
    sf.add_record("Lead", Name="before", created=datetime(2024, 1, 2, 3, 4, 4, tzinfo=UTC))
    sf.add_record("Lead", Name="at", created=T0)
    sf.add_record("Lead", Name="after", created=datetime(2024, 1, 2, 3, 4, 6, tzinfo=UTC))
    token = login(http)

    def created(condition: str) -> list[str]:
        soql = lead_names(f"CreatedDate {condition}", order="CreatedDate")
        return names(query(http, token, soql))

    assert created("= 2024-01-02T03:04:05Z") == ["at"]
    assert created("= 2024-01-02T04:04:05+01:00") == ["at"]
    assert created("> 2024-01-01T22:04:05-05:00") == ["after"]
    assert created(">= 2024-01-02T08:34:05+05:30") == ["at", "after"]
    assert created("< 2024-01-02T03:04:05.000Z") == ["before"]
    rendered = ok_records(query(http, token, "SELECT CreatedDate FROM Lead WHERE Name = 'at'"))
    assert rendered[0]["CreatedDate"] == "2024-01-02T03:04:05.000+0000"


def test_string_equality_ignores_case_and_null_comparisons(
    sf: FakeSalesforce, http: httpx.Client
) -> None:
    sf.add_record("Lead", Name="Ada", Email="Ada@Example.com", LeadSource="Web", Converted=True)
    sf.add_record("Lead", Name="Bob", LeadSource="Phone")
    token = login(http)

    def where(condition: str) -> list[str]:
        return names(query(http, token, lead_names(condition)))

    assert where("Email = 'ADA@EXAMPLE.COM'") == ["Ada"]
    assert where("Email != 'ada@example.com'") == []  # Bob's null Email compares false
    assert where("Email = null") == ["Bob"]
    assert where("Email != null") == ["Ada"]
    assert where("LeadSource IN ('web', 'EMAIL')") == ["Ada"]
    assert where("LeadSource NOT IN ('web')") == ["Bob"]
    assert where("Converted = true") == ["Ada"]
    assert where("Converted = null") == ["Bob"]  # on a boolean, null means false
    assert where("NOT Name = 'ada' OR Name = 'x' AND Name = 'Ada'") == ["Bob"]
    assert where("(NOT Name = 'ada' OR Name = 'x') AND Name = 'Ada'") == []


def test_query_errors(sf: FakeSalesforce, http: httpx.Client) -> None:
    token = login(http)

    def error(soql: str) -> tuple[int, list[dict[str, str]]]:
        response = query(http, token, soql)
        assert response.headers["Sforce-Limit-Info"].startswith("api-usage=")
        return response.status_code, response.json()

    assert error("SELECT Id, Foo FROM Lead") == (
        400,
        [
            {
                "message": "\nSELECT Id, Foo FROM Lead\n           ^\nERROR at Row:1:Column:12\n"
                "No such column 'Foo' on entity 'Lead'. If you are attempting to use a custom "
                "field, be sure to append the '__c' after the custom field name. Please "
                "reference your WSDL or the describe call for the appropriate names.",
                "errorCode": "INVALID_FIELD",
            }
        ],
    )
    assert error("SELECT Id FROM Foo") == (
        400,
        [
            {
                "message": "\nSELECT Id FROM Foo\n               ^\nERROR at Row:1:Column:16\n"
                "sObject type 'Foo' is not supported. If you are attempting to use a custom "
                "object, be sure to append the '__c' after the entity name. Please reference "
                "your WSDL or the describe call for the appropriate names.",
                "errorCode": "INVALID_TYPE",
            }
        ],
    )
    assert error("SELECT Id FROM Lead WHERE") == (
        400,
        [
            {
                "message": "\nSELECT Id FROM Lead WHERE\n                         ^\n"
                "ERROR at Row:1:Column:26\nunexpected token: '<EOF>'",
                "errorCode": "MALFORMED_QUERY",
            }
        ],
    )
    status, body = error("SELECT COUNT() FROM Lead")
    assert (status, body[0]["errorCode"]) == (400, "MALFORMED_QUERY")
    missing = http.get(f"{V}/query", headers=bearer(token))
    assert missing.status_code == 400
    assert missing.json() == [
        {"message": "A query string has to be specified", "errorCode": "MALFORMED_QUERY"}
    ]


# -- faults and observation ------------------------------------------------------------------------


def test_limit_exceeded_once_then_ok(sf: FakeSalesforce, http: httpx.Client) -> None:
    token = login(http)
    sf.limit_exceeded()
    refused = query(http, token, "SELECT Id FROM Lead")
    assert refused.status_code == 403
    assert refused.json() == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]
    assert refused.headers["Sforce-Limit-Info"] == "api-usage=1/15000"
    ok = query(http, token, "SELECT Id FROM Lead")
    assert ok.status_code == 200
    assert ok.headers["Sforce-Limit-Info"] == "api-usage=2/15000"


def test_fail_next_queues_answers_and_the_api_limit_holds(
    sf: FakeSalesforce, http: httpx.Client
) -> None:
    unavailable = [{"errorCode": "SERVER_UNAVAILABLE", "message": "Server unavailable"}]
    token = login(http)
    sf.fail_next(503, unavailable, times=2)
    sf.limit_exceeded()
    statuses = [query(http, token, "SELECT Id FROM Lead").status_code for _ in range(4)]
    assert statuses == [503, 503, 403, 200]

    sf.api_limit = 5
    assert query(http, token, "SELECT Id FROM Lead").status_code == 200
    over = query(http, token, "SELECT Id FROM Lead")
    assert over.status_code == 403
    assert over.headers["Sforce-Limit-Info"] == "api-usage=6/5"


def test_delay_next_makes_one_call_slow(sf: FakeSalesforce, http: httpx.Client) -> None:
    token = login(http)
    sf.delay_next(0.6)
    with pytest.raises(httpx.ReadTimeout):
        http.get(f"{V}/sobjects", headers=bearer(token), timeout=0.1)
    started = time.monotonic()
    assert http.get(f"{V}/sobjects", headers=bearer(token)).status_code == 200
    assert time.monotonic() - started < 0.6  # not delayed in turn
    # The slow call still ends on the server; wait for it so it does not leak into the next test.
    wait_until(lambda: sf.rest_calls == 2, timeout=5.0, what="the delayed call")
    assert [r.status for r in sf.requests] == [200, 200, 200]


def test_the_request_log(sf: FakeSalesforce, http: httpx.Client) -> None:
    token = login(http)
    query(http, token, "SELECT Id FROM Lead")
    http.get(f"{V}/sobjects/Lead/describe", headers=bearer(token))
    assert sf.requests == [
        RecordedRequest("POST", "/services/oauth2/token", {}, None, 200),
        RecordedRequest(
            "GET", f"{V}/query", {"q": "SELECT Id FROM Lead"}, "SELECT Id FROM Lead", 200
        ),
        RecordedRequest("GET", f"{V}/sobjects/Lead/describe", {}, None, 200),
    ]
    assert sf.queries == ["SELECT Id FROM Lead"]
    assert (sf.tokens_issued, sf.rest_calls) == (1, 2)


def test_start_and_stop() -> None:
    server = FakeSalesforce()
    with pytest.raises(RuntimeError):
        _ = server.url
    with server:
        assert server.url == server.login_url == f"http://127.0.0.1:{server.port}"
        with pytest.raises(RuntimeError):
            server.start()
        assert httpx.get(f"{server.url}/services/data").status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{server.port}/services/data", timeout=2.0)
    assert not server.errors
