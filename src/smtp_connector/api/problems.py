"""The one place where errors become HTTP answers: RFC 9457 ``application/problem+json``."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from smtp_connector.errors import (
    AddressNotAllowed,
    ConfigurationError,
    Conflict,
    ConnectorError,
    DeliveryError,
    FieldProblem,
    HostNotAllowed,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    RecipientsRefused,
    ReplyError,
    SalesforceError,
    SenderNotAllowed,
)
from smtp_connector.logs import log_event
from smtp_connector.mail.replies import SmtpReply
from smtp_connector.outbox.faults import describe

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = 60
DATABASE_RETRY_AFTER_SECONDS = 5


def reply_json(reply: SmtpReply) -> dict[str, Any]:
    return {"code": reply.code, "enhancedCode": reply.enhanced_code, "message": reply.message}


@dataclass(frozen=True)
class Problem:
    """An RFC 9457 problem before it becomes a response (so callers can add members)."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] | None = None

    def response(self, **extra: Any) -> JSONResponse:
        return JSONResponse(
            {**self.body, **extra},
            status_code=self.status,
            headers=self.headers,
            media_type=PROBLEM_JSON,
        )


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    return make_problem(status, code, title, detail, headers=headers, **extra).response()


def make_problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Problem:
    body: dict[str, Any] = {
        "type": f"urn:smtp-connector:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return Problem(status, body, headers)


def _field_errors(problems: tuple[FieldProblem, ...]) -> list[dict[str, Any]]:
    return [_field_error(p) for p in problems]


def _field_error(p: FieldProblem) -> dict[str, Any]:
    entry: dict[str, Any] = {"field": p.field, "message": p.message}
    if p.field.startswith("/"):  # a JSON pointer into a workflow document
        entry["pointer"] = p.field
    if p.column is not None:
        entry["column"] = p.column
    return entry


def _delivery_problem(exc: DeliveryError) -> Problem:
    """Transient failures are 503 with Retry-After; permanent ones 502 (all refused: 400,
    a refused server address: 403, like a host outside the operator's allow-list)."""
    extra: dict[str, Any] = {"retryable": exc.retryable}
    if isinstance(exc, AddressNotAllowed):
        return make_problem(
            403, exc.code, "SMTP server address not allowed", exc.message, hint=exc.hint, **extra
        )
    if isinstance(exc, ReplyError):
        extra["smtpCode"] = exc.reply.code
        extra["enhancedCode"] = exc.reply.enhanced_code
    if exc.hint:
        extra["hint"] = exc.hint
    if isinstance(exc, RecipientsRefused):
        extra["rejected"] = {addr: reply_json(r) for addr, r in exc.refusals.items()}
        if not exc.retryable:
            return make_problem(400, exc.code, "Every recipient was refused", exc.message, **extra)
    if exc.retryable:
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        return make_problem(
            503, exc.code, "Delivery failed, try again later", exc.message, headers=headers, **extra
        )
    title = "The SMTP server refused" if isinstance(exc, ReplyError) else "Delivery failed"
    return make_problem(502, exc.code, title, exc.message, **extra)


def _salesforce_problem(exc: SalesforceError) -> Problem:
    """Like a delivery failure: 503 with Retry-After when retryable, else 502."""
    extra: dict[str, Any] = {"retryable": exc.retryable}
    if exc.hint:
        extra["hint"] = exc.hint
    if exc.retryable:
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        title = "Salesforce could not be used now"
        return make_problem(503, exc.code, title, exc.message, headers=headers, **extra)
    return make_problem(502, exc.code, "Salesforce refused", exc.message, **extra)


def to_problem(exc: ConnectorError) -> Problem:
    if isinstance(exc, PayloadTooLarge):
        return make_problem(
            413, exc.code, "Payload too large", exc.message, errors=_field_errors(exc.problems)
        )
    if isinstance(exc, InvalidInput):
        return make_problem(
            400, exc.code, "Invalid request", exc.message, errors=_field_errors(exc.problems)
        )
    if isinstance(exc, NotFound):
        return make_problem(404, exc.code, "Not found", exc.message)
    if isinstance(exc, Conflict):
        return make_problem(409, exc.code, "Conflict", exc.message)
    if isinstance(exc, RateLimited):
        wait = str(max(1, math.ceil(exc.retry_after)))
        return make_problem(
            429, exc.code, "Too many requests", exc.message, headers={"Retry-After": wait}
        )
    if isinstance(exc, SenderNotAllowed):
        return make_problem(403, exc.code, "Sender not allowed", exc.message)
    if isinstance(exc, HostNotAllowed):
        return make_problem(403, exc.code, "SMTP server not allowed", exc.message)
    if isinstance(exc, DeliveryError):
        return _delivery_problem(exc)
    if isinstance(exc, SalesforceError):
        return _salesforce_problem(exc)
    if isinstance(exc, ConfigurationError):
        log_event("api.configuration_error", logging.ERROR, detail=exc.message)
        return make_problem(500, exc.code, "Server configuration error", exc.message)
    log_event("api.error", logging.ERROR, code=exc.code, error=type(exc).__name__)
    return make_problem(
        500, exc.code, "Internal error", "The server could not complete the request."
    )


def error_response(exc: ConnectorError) -> JSONResponse:
    return to_problem(exc).response()


def install(app: FastAPI) -> None:
    """Register the handlers: domain errors, FastAPI's own 422s as 400s, and a no-traceback 500."""

    async def on_connector_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ConnectorError)
        return error_response(exc)

    async def on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {
                "field": ".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]),
                "message": e["msg"],
            }
            for e in exc.errors()
        ]
        return problem(
            400, "invalid_input", "Invalid request", "The request is invalid.", errors=errors
        )

    async def on_http_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        headers = dict(exc.headers) if exc.headers else None
        return problem(
            exc.status_code,
            f"http_{exc.status_code}",
            str(exc.detail),
            str(exc.detail),
            headers=headers,
        )

    async def on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
        logging.getLogger("smtp_connector").error(
            "event=api.unexpected error=%s", type(exc).__name__, exc_info=exc
        )
        return problem(
            500, "internal_error", "Internal error", "The server could not complete the request."
        )

    async def on_database_down(_request: Request, exc: Exception) -> JSONResponse:
        log_event("api.database_unavailable", logging.ERROR, error=describe(exc))
        return problem(
            503,
            "database_unavailable",
            "Service unavailable",
            "The database does not answer; nothing was stored. Try again shortly.",
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )

    app.add_exception_handler(ConnectorError, on_connector_error)
    app.add_exception_handler(OperationalError, on_database_down)
    app.add_exception_handler(InterfaceError, on_database_down)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected)
