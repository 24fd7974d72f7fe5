"""Send Email in the OpenAPI document: the managed V3 body, the built-in body, the answers.

``mail.request.parse_send_request`` reads the body (keys in any case, ``attachment`` and
``Attachments`` alike); these models only describe it, with the field names of each shape.
``SEND_BODY``/``SEND_ANSWERS`` and ``BATCH_BODY``/``BATCH_ANSWERS`` are what the ``send`` and
``send-batch`` decorators declare.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from smtp_connector.api.openapi import (
    Responses,
    answer,
    body,
    problem,
    problems,
    ref,
    retry_after,
)
from smtp_connector.api.problems import PROBLEM_JSON
from smtp_connector.api.schemas.answers import BatchAnswer, SendAccepted, SendSent
from smtp_connector.api.schemas.problems import BatchProblem, Problem
from smtp_connector.examples import SEED_EXAMPLE
from smtp_connector.mail.attachments import (
    MAX_CONTENT_ID_CHARS,
    MAX_CONTENT_TYPE_CHARS,
    MAX_FILENAME_CHARS,
)
from smtp_connector.mail.request import MAX_SUBJECT_CHARS

_LIST = "Addresses separated by ';' (or ','), or a JSON array of them."
_ONE = "One address; a display name is allowed: 'Sales <sales@example.com>'."
_HTML = "true, false, or the strings 'true'/'false' (any case); absent: sniffed from Body."
_IMPORTANCE = "High, Normal or Low (any case)."
_DATA = "base64 for binary content; text as-is (see ContentTransferEncoding)."
_ENCODING = "base64 or none; absent: strict base64 is decoded, anything else is text."
_CID = "Makes the part inline, for cid: references in an HTML body."
_HEADERS = "Extra headers, name to one-line value (never From, To, Subject, Content-*, ...)."


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class AttachmentV3(_Shape):
    """One attachment of a V3 body."""

    ContentData: str = Field(description=_DATA)
    ContentType: str | None = Field(default=None, max_length=MAX_CONTENT_TYPE_CHARS)
    ContentTransferEncoding: Literal["base64", "none"] | None = Field(
        default=None, description=_ENCODING
    )
    FileName: str | None = Field(default=None, max_length=MAX_FILENAME_CHARS)
    ContentId: str | None = Field(default=None, max_length=MAX_CONTENT_ID_CHARS, description=_CID)


class SendEmailV3(_Shape):
    """The Logic Apps managed connector's Send Email (V3) body, plus ReplyTo, TextBody and
    Headers."""

    From: str | None = Field(default=None, description=_ONE + " Optional with defaultFrom.")
    To: str | list[str] | None = Field(default=None, description=_LIST)
    CC: str | list[str] | None = Field(default=None, description=_LIST)
    Bcc: str | list[str] | None = Field(default=None, description=_LIST)
    ReplyTo: str | list[str] | None = Field(default=None, description=_LIST + " At most 10.")
    Subject: str | None = Field(default=None, max_length=MAX_SUBJECT_CHARS)
    Body: str | None = None
    TextBody: str | None = Field(default=None, description="The plain-text alternative.")
    IsHtml: bool | Literal["true", "false"] | None = Field(default=None, description=_HTML)
    Importance: Literal["High", "Normal", "Low"] | None = Field(
        default=None, description=_IMPORTANCE
    )
    ReadReceipt: str | None = Field(default=None, description=_ONE)
    DeliveryReceipt: str | None = Field(default=None, description=_ONE)
    Attachments: list[AttachmentV3] | None = None
    Headers: dict[str, str] | None = Field(default=None, description=_HEADERS)


class AttachmentBuiltIn(_Shape):
    """One attachment of a built-in body."""

    file_name: str | None = Field(default=None, alias="fileName", max_length=MAX_FILENAME_CHARS)
    content_data: str = Field(alias="contentData", description=_DATA)
    content_type: str | None = Field(
        default=None, alias="contentType", max_length=MAX_CONTENT_TYPE_CHARS
    )
    content_id: str | None = Field(
        default=None, alias="contentId", max_length=MAX_CONTENT_ID_CHARS, description=_CID
    )


class SendEmailBuiltIn(_Shape):
    """The Logic Apps built-in (Standard) connector's Send Email body (camelCase)."""

    from_: str | None = Field(default=None, alias="from", description=_ONE)
    to: str | list[str] | None = Field(default=None, description=_LIST)
    cc: str | list[str] | None = Field(default=None, description=_LIST)
    bcc: str | list[str] | None = Field(default=None, description=_LIST)
    reply_to: str | list[str] | None = Field(default=None, alias="replyTo", description=_LIST)
    subject: str | None = Field(default=None, max_length=MAX_SUBJECT_CHARS)
    body: str | None = None
    text_body: str | None = Field(default=None, alias="textBody")
    is_html: bool | Literal["true", "false"] | None = Field(
        default=None, alias="isHTML", description=_HTML
    )
    importance: Literal["High", "Normal", "Low"] | None = Field(
        default=None, description=_IMPORTANCE
    )
    read_receipt: str | None = Field(default=None, alias="readReceipt", description=_ONE)
    delivery_receipt: str | None = Field(default=None, alias="deliveryReceipt", description=_ONE)
    attachment: list[AttachmentBuiltIn] | None = None
    headers: dict[str, str] | None = Field(default=None, description=_HEADERS)


SEND_EMAIL_DESCRIPTION = (
    "A Send Email body: the managed connector's V3 shape (PascalCase, `Attachments`) or the "
    "built-in connector's shape (camelCase, `attachment`), pasted unchanged. Keys are "
    "case-insensitive; an unknown key is an error (400 naming it). At least one recipient in "
    "To, CC or Bcc; From is required unless the connection has defaultFrom."
)


def send_email_schema(v3: str, built_in: str) -> dict[str, Any]:
    """The request schema: either shape, given the ``$ref``s of the two models."""
    return {
        "anyOf": [{"$ref": v3}, {"$ref": built_in}],
        "description": SEND_EMAIL_DESCRIPTION,
    }


def _documents() -> tuple[dict[str, Any], Responses, dict[str, Any], Responses]:
    """The request bodies and answers of ``send`` and ``send-batch`` (see ``api.openapi``)."""
    one = send_email_schema(
        ref(SendEmailV3, "validation")["$ref"], ref(SendEmailBuiltIn, "validation")["$ref"]
    )
    replayed = {
        "Idempotent-Replayed": {
            "description": "`true` when this is the saved answer to an earlier request.",
            "schema": {"type": "string", "enum": ["true"]},
        }
    }
    location = {
        "description": "`/v1/messages/{id}`: poll it for the message's status.",
        "required": True,
        "schema": {"type": "string"},
    }
    send_answers: Responses = {
        200: answer("Sent.", ref(SendSent), headers=replayed),
        202: answer(
            "Committed, not sent yet (`Prefer: respond-async`, a retry is due, or the first "
            "attempt is still running).",
            ref(SendAccepted),
            headers={
                "Location": location,
                "Retry-After": retry_after("Seconds before polling Location."),
                **replayed,
            },
        ),
        **problem(
            400, "Invalid body (`errors`), or every recipient refused for good (`rejected`)."
        ),
        **problem(403, "Wrong scope, From outside allowedSenders, or server not allowed."),
        **problems(404, 409, 413, 429),
        **problem(502, "The SMTP server refused for good: `smtpCode`, `enhancedCode`, `id`."),
        **problem(
            503,
            "A transient failure and no retry left (`id`), or the database does not answer "
            "(nothing stored); `Retry-After`.",
        ),
    }
    batch = {"type": "array", "items": one, "minItems": 1}
    batch_body = {
        "anyOf": [
            {
                "type": "object",
                "properties": {"messages": batch},
                "required": ["messages"],
                "additionalProperties": False,
            },
            batch,
        ],
        "description": '`{"messages": [body, ...]}` or the bare list, up to MAX_BATCH bodies.',
    }
    refused = {"anyOf": [ref(Problem), ref(BatchProblem)]}
    batch_answers: Responses = {
        202: answer(
            "At least one message is queued; one entry per item.",
            ref(BatchAnswer),
            headers=replayed,
        ),
        400: answer(
            "Not a list of bodies, or no item is valid (`items` says why for each).",
            refused,
            media_type=PROBLEM_JSON,
        ),
        **problems(404, 409, 413, 429),
    }
    return body(one, SEED_EXAMPLE), send_answers, body(batch_body), batch_answers


SEND_BODY, SEND_ANSWERS, BATCH_BODY, BATCH_ANSWERS = _documents()

PREFER = "`respond-async`: answer 202 at once instead of waiting for the first attempt."
IDEMPOTENCY_KEY = (
    "1-255 printable characters: a repeated request with the same key (per API key, for at "
    "least 24 hours) gets the first answer and sends nothing; with another body it is 409."
)
