"""``/v1/workflows/{name}/triggers/{trigger}/invoke[/relative/path]``: a Request trigger's
callback URL. No API key: the URL's ``sig`` is the credential (a wrong one is 401 and nothing is
recorded).

Without a Response action the caller gets 202 with the run's id (``x-ms-workflow-run-id``) once
the run is committed. With one, the caller waits for it (``WORKFLOW_RESPONSE_SECONDS``, 120 s by
default, then 504 while the run goes on) and gets its status, headers and body.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, Request, Response

from smtp_connector.api.body import read_bytes
from smtp_connector.api.deps import ServicesDep
from smtp_connector.api.openapi import CALLBACK_SIGNATURE, answer, problem, problems
from smtp_connector.api.problems import problem as problem_answer
from smtp_connector.errors import ConfigurationError
from smtp_connector.workflows.expressions import to_text
from smtp_connector.workflows.triggers.request import HttpCall

router = APIRouter(prefix="/v1/workflows", tags=["workflow triggers"])

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
_HOP_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})


def _body(value: Any) -> tuple[bytes, str | None]:
    if value is None:
        return b"", None
    if isinstance(value, str):
        return value.encode("utf-8"), "text/plain; charset=utf-8"
    return json.dumps(value, ensure_ascii=False).encode("utf-8"), "application/json"


def _answer(response: dict[str, Any], run_id: str) -> Response:
    content, media = _body(response.get("body"))
    headers = {
        str(k): to_text(v)
        for k, v in (response.get("headers") or {}).items()
        if str(k).casefold() not in _HOP_HEADERS
    }
    headers["x-ms-workflow-run-id"] = run_id
    if media and not any(k.casefold() == "content-type" for k in headers):
        headers["Content-Type"] = media
    return Response(content, status_code=int(response["statusCode"]), headers=headers)


async def invoke(
    name: str, trigger: str, path: str, request: Request, services: ServicesDep
) -> Response:
    """Fire a Request trigger through its signed callback URL (``listCallbackUrl``)."""
    service = services.workflows
    if service is None:
        raise ConfigurationError("workflows are not configured in this process")
    raw = await read_bytes(request, services.limits.max_request_bytes)
    query = request.query_params
    call = HttpCall(
        method=request.method,
        path=path,
        headers={k.casefold(): v for k, v in request.headers.items()},
        queries=dict(query),
        body=bytes(raw),
    )
    invoked = await service.invoke(
        name, trigger, call, query.get("sp"), query.get("sv"), query.get("sig")
    )
    if invoked is None:
        return problem_answer(
            401,
            "invalid_signature",
            "Unauthorized",
            "The callback URL's signature (sig) is missing or wrong; ask listCallbackUrl for "
            "the current URL.",
            headers={"WWW-Authenticate": SIGNATURE_CHALLENGE},
        )
    stored, fired = invoked
    if not fired.runs:
        return Response(status_code=202, headers={"x-ms-workflow-name": stored.name})
    run_id = fired.runs[0]
    headers = {"x-ms-workflow-run-id": run_id, "x-ms-workflow-name": stored.name}
    if fired.response is None:
        return Response(status_code=202, headers=headers)
    try:
        response = await asyncio.wait_for(asyncio.shield(fired.response), service.response_seconds)
    except TimeoutError:
        if service.engine is not None:
            service.engine.forget_response(run_id)
        return problem_answer(
            504,
            "response_timeout",
            "Gateway timeout",
            f"The run {run_id} did not reach its Response action within "
            f"{service.response_seconds:g} seconds; it goes on.",
            headers=headers,
        )
    if response is None:
        return problem_answer(
            502,
            "no_response",
            "Bad gateway",
            f"The run {run_id} ended without running its Response action.",
            headers=headers,
        )
    return _answer(response, run_id)


SIGNATURE_CHALLENGE = 'Signature realm="smtp-connector workflow callback"'
"""The challenge of a 401: the credential is the callback URL's ``sig``, not an API key."""

_ANSWERS = {
    200: answer(
        "The workflow's Response action answered (its status, headers and body, whatever they "
        "are: 200 here stands for every status it may choose)."
    ),
    202: answer(
        "The run was committed; `x-ms-workflow-run-id` names it.",
        headers={"x-ms-workflow-run-id": {"schema": {"type": "string"}}},
    ),
    **problems(400, 404, 409, 413, 502, 504),
    **problem(401, "The signature (`sig`) is missing or wrong."),
}

for _method in _METHODS:
    router.add_api_route(
        "/{name}/triggers/{trigger}/invoke{path:path}",
        invoke,
        methods=[_method],
        operation_id=f"invoke_workflow_trigger_{_method.lower()}",
        responses=_ANSWERS,
        openapi_extra={"security": [{CALLBACK_SIGNATURE: []}]},
    )
