"""``GET /openapi.json``: a valid OpenAPI 3.1 document in which every answer is described.

The answers themselves are held to the document by ``test_openapi_contract``; this module checks
the document: validity, references, and the rules every operation (present or future) follows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from support.api import SEED

METHODS = ("get", "put", "post", "delete", "patch")
SEED_FIELDS = {
    "From", "To", "CC", "Bcc", "Subject", "Body", "Importance", "IsHtml", "ReadReceipt",
    "DeliveryReceipt", "Attachments", "ReplyTo", "TextBody", "Headers",
}  # fmt: skip
ATTACHMENT_FIELDS = {
    "ContentData",
    "ContentType",
    "ContentTransferEncoding",
    "FileName",
    "ContentId",
}


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def _refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _resolve(document: dict[str, Any], ref: str) -> object:
    """The node a local reference points at (RFC 6901); KeyError when there is none."""
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _schema(document: dict[str, Any], ref: str) -> dict[str, Any]:
    schema: dict[str, Any] = _resolve(document, ref)  # type: ignore[assignment]
    return schema


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1.")
    validate(document)


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    refs = set(_refs(document))
    assert refs
    unresolved = []
    for ref in sorted(refs):
        try:
            _resolve(document, ref)
        except (KeyError, TypeError, AssertionError):
            unresolved.append(ref)
    assert unresolved == []


def test_every_error_answer_is_a_problem(document: dict[str, Any]) -> None:
    for name, operation in _operations(document):
        for status, answer in operation["responses"].items():
            if int(status) < 400:
                continue
            assert list(answer["content"]) == ["application/problem+json"], (name, status)
            schema = answer["content"]["application/problem+json"]["schema"]
            assert "#/components/schemas/Problem" in set(_refs(schema)), (name, status)


def test_every_operation_documents_auth_bad_input_and_500(document: dict[str, Any]) -> None:
    for name, operation in _operations(document):
        statuses = set(operation["responses"])
        assert "422" not in statuses, name  # validation errors are answered as 400
        assert "500" in statuses, name
        if operation.get("parameters") or operation.get("requestBody"):
            assert "400" in statuses, name
        if name.split(" ")[1].startswith("/v1/"):
            assert operation.get("security"), name
            assert "401" in statuses, name
            assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]
            if operation["security"] != [{"CallbackSignature": []}]:  # a signed URL has no scope
                assert "403" in statuses, name
        success = [s for s in statuses if s.startswith("2")]
        assert success, name


def test_the_send_email_body_is_described_field_by_field(document: dict[str, Any]) -> None:
    operation = document["paths"]["/v1/connections/{name}/send"]["post"]
    content = operation["requestBody"]["content"]["application/json"]
    shapes = [_schema(document, ref) for ref in _refs(content["schema"])]
    v3, built_in = shapes
    assert set(v3["properties"]) == SEED_FIELDS
    assert {"from", "to", "isHTML", "attachment"} <= set(built_in["properties"])
    attachment = _schema(document, next(_refs(v3["properties"]["Attachments"])))
    assert set(attachment["properties"]) == ATTACHMENT_FIELDS
    assert attachment["required"] == ["ContentData"]
    assert content["example"] == SEED
    request = {**content["schema"], "components": document["components"]}
    built_in_body = {"from": "a@example.com", "to": "b@example.com", "isHTML": False}
    for body in (
        SEED,
        built_in_body,
        {"To": ["b@example.com"], "Attachments": [{"ContentData": "eA=="}]},
    ):
        jsonschema.Draft202012Validator(request).validate(body)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(request).validate({"Form": "typo@example.com"})


def test_send_documents_its_headers(document: dict[str, Any]) -> None:
    operation = document["paths"]["/v1/connections/{name}/send"]["post"]
    headers = {p["name"].lower(): p for p in operation["parameters"] if p["in"] == "header"}
    assert {"prefer", "idempotency-key"} <= set(headers)
    assert all(p.get("description") for p in headers.values())
    accepted = operation["responses"]["202"]
    assert {"Location", "Retry-After"} <= set(accepted["headers"])
    assert "Retry-After" in operation["responses"]["429"]["headers"]
    batch = document["paths"]["/v1/connections/{name}/send-batch"]["post"]["responses"]
    assert {"202", "400"} <= set(batch) and "200" not in batch
