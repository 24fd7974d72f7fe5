"""The error bodies of the OpenAPI document: RFC 9457 problems as ``api/problems.py`` makes them.

These models describe answers; the answers themselves are built by ``api.problems``. Members
beyond the RFC's (``code``, ``errors``, ``id``...) are extensions, and a problem may carry others
later: the schema lists the known ones and admits more.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class FieldError(BaseModel):
    """One wrong field of the request, by its path (``To``, ``Attachments[2].ContentData``) or,
    in a workflow document, its JSON pointer (also as ``pointer``), with the ``column`` in an
    expression's text when the problem is in one."""

    model_config = ConfigDict(extra="forbid")

    field: str
    message: str
    pointer: str | None = None
    column: int | None = None


class SmtpReplyView(BaseModel):
    """A reply of the SMTP server (a recipient's refusal, for example)."""

    model_config = ConfigDict(populate_by_name=True)

    code: int = Field(description="The SMTP reply code, such as 550.")
    enhanced_code: str | None = Field(
        alias="enhancedCode", description="The RFC 3463 enhanced status code, such as 5.1.1."
    )
    message: str
    retried_as: str | None = Field(
        default=None,
        alias="retriedAs",
        description="For a transient refusal after a sent message: the follow-up message's id.",
    )


class Problem(BaseModel):
    """An error answer (``application/problem+json``, RFC 9457)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    type: str = Field(description="``urn:smtp-connector:problem:<code>``.")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    code: str = Field(description="A stable machine-readable code, such as ``invalid_input``.")
    errors: list[FieldError] | None = Field(
        default=None, description="For 400 and 413: every wrong field of the request."
    )
    id: str | None = Field(
        default=None, description="A send that failed for good: the message's id in the outbox."
    )
    retryable: bool | None = Field(
        default=None, description="A delivery failure: whether the same message may succeed later."
    )
    smtp_code: int | None = Field(default=None, alias="smtpCode")
    enhanced_code: str | None = Field(default=None, alias="enhancedCode")
    hint: str | None = Field(default=None, description="What to change or try next.")
    rejected: dict[str, SmtpReplyView] | None = Field(
        default=None, description="Every recipient was refused: each refusal by address."
    )


class BatchItemProblem(BaseModel):
    """One refused item of a batch."""

    model_config = ConfigDict(extra="forbid")

    index: int = Field(ge=0)
    problem: Problem


class BatchProblem(BaseModel):
    """``send-batch`` when no item is valid: a 400 problem with the per-item answers."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: Literal[400]
    detail: str
    code: Literal["invalid_input"]
    queued: Literal[0]
    rejected: int = Field(ge=1, description="How many items were refused (all of them).")
    items: list[BatchItemProblem]
