"""The OpenAPI document: every answer of every operation, errors as RFC 9457 problems.

Routes say what they answer in their decorators: ``responses=answers(...)`` for success bodies
and the errors particular to them (404, 409, 413, 429, 502, 503), ``openapi_extra=body(...)``
for a JSON body that the route reads itself. ``install(app)`` completes what FastAPI generates,
so that a new route follows the same rules without saying so:

- an operation that needs an API key answers 401 (with ``WWW-Authenticate``) and 403;
- an operation with parameters or a body answers 400 (field-level ``errors``); FastAPI's 422 is
  never answered (``api.problems`` turns it into a 400), so it is removed;
- every operation may answer 503 when the database does not answer, and 500;
- every error answer is ``application/problem+json`` described by ``Problem``;
- the models named in decorators are added to ``components.schemas``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from smtp_connector.api.problems import PROBLEM_JSON
from smtp_connector.api.schemas.problems import Problem

Responses = dict[int | str, dict[str, Any]]

_PREFIX = "#/components/schemas/"
_MODELS: dict[type[BaseModel], JsonSchemaMode] = {}
_WHEN = {
    400: "Invalid input: `errors` names each wrong field.",
    401: "No API key, or an unknown or revoked one.",
    403: "The API key's scope does not allow this, or a policy refuses it.",
    404: "Not found.",
    409: "Conflicts with the current state.",
    413: "Over a size or count limit.",
    429: "Over the connection's call limit; nothing was done.",
    502: "The SMTP server refused for good.",
    503: "Not available now; try again after Retry-After.",
    500: "An unexpected error (a bug, or a configuration error); never a traceback.",
}
_DATABASE_DOWN = "The database does not answer: nothing was done; try again after Retry-After."
_RETRY_AFTER = {
    "description": "Seconds to wait before trying again.",
    "schema": {"type": "integer", "minimum": 0},
}
_HEADERS: dict[int, dict[str, Any]] = {
    401: {
        "WWW-Authenticate": {
            "description": 'The Bearer challenge: `Bearer realm="smtp-connector"`.',
            "schema": {"type": "string"},
        }
    },
    429: {"Retry-After": _RETRY_AFTER},
    503: {"Retry-After": _RETRY_AFTER},
}


def ref(model: type[BaseModel], mode: JsonSchemaMode = "serialization") -> dict[str, str]:
    """``{"$ref": ...}`` to ``model``'s schema, which ``install`` adds to the components."""
    _MODELS[model] = mode
    return {"$ref": _PREFIX + model.__name__}


def answer(
    description: str,
    schema: dict[str, Any] | None = None,
    *,
    media_type: str = "application/json",
    headers: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One documented answer: its body's schema and its headers."""
    documented: dict[str, Any] = {"description": description}
    if schema is not None:
        documented["content"] = {media_type: {"schema": schema}}
    if headers:
        documented["headers"] = headers
    return documented


def problem(status: int, description: str | None = None, **headers: dict[str, Any]) -> Responses:
    """An error answer: a ``Problem`` with ``status``, its usual headers and these."""
    return {
        status: answer(
            description or _WHEN.get(status, "An error."),
            ref(Problem),
            media_type=PROBLEM_JSON,
            headers={**_HEADERS.get(status, {}), **headers} or None,
        )
    }


def problems(*statuses: int) -> Responses:
    """Error answers with their usual descriptions and headers."""
    documented: Responses = {}
    for status in statuses:
        documented.update(problem(status))
    return documented


def retry_after(description: str) -> dict[str, Any]:
    return {**_RETRY_AFTER, "description": description}


def body(schema: dict[str, Any], example: object = None) -> dict[str, Any]:
    """``openapi_extra`` for a required JSON body that the route reads itself."""
    content: dict[str, Any] = {"schema": schema}
    if example is not None:
        content["example"] = example
    return {"requestBody": {"required": True, "content": {"application/json": content}}}


CALLBACK_SIGNATURE = "CallbackSignature"
"""The security scheme of Request trigger callback URLs: the signed ``sig`` query parameter."""

_CALLBACK_SCHEME = {
    "type": "apiKey",
    "in": "query",
    "name": "sig",
    "description": "The signature in a callback URL from `listCallbackUrl` (with `sp` and `sv`).",
}


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the completed document (generated once)."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            complete(generate())
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(document: dict[str, Any]) -> None:
    """Apply the module's rules to a document FastAPI generated (in place)."""
    for operation in _operations(document):
        responses: dict[str, Any] = operation.setdefault("responses", {})
        responses.pop("422", None)
        needed: list[int] = []
        if operation.get("parameters") or operation.get("requestBody"):
            needed.append(400)
        security = operation.get("security") or []
        if security:
            needed.append(401)
        if any(CALLBACK_SIGNATURE not in entry for entry in security):
            needed.append(403)  # an API key's scope can refuse; a signature cannot
        for status, documented in problems(*needed).items():
            responses.setdefault(str(status), documented)
        responses.setdefault("500", problem(500)[500])
        responses.setdefault("503", problem(503, _DATABASE_DOWN)[503])
    components: dict[str, Any] = document.setdefault("components", {})
    components.setdefault("securitySchemes", {})[CALLBACK_SIGNATURE] = _CALLBACK_SCHEME
    schemas: dict[str, Any] = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    _add_models(schemas)


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    methods = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
    return [
        operation
        for item in document.get("paths", {}).values()
        for method, operation in item.items()
        if method in methods
    ]


def _add_models(schemas: dict[str, Any]) -> None:
    """Add the registered models' schemas; a name FastAPI already uses must mean the same."""
    refs, generated = models_json_schema(
        [(model, mode) for model, mode in _MODELS.items()],
        by_alias=True,
        ref_template=_PREFIX + "{model}",
    )
    for (model, _mode), schema_ref in refs.items():
        if schema_ref.get("$ref") != _PREFIX + model.__name__:
            raise RuntimeError(f"{model.__name__} is not named after itself: {schema_ref}")
    for name, schema in generated.get("$defs", {}).items():
        if name in schemas and schemas[name] != schema:
            raise RuntimeError(f"two different schemas are named {name!r} in the API document")
        schemas[name] = schema
