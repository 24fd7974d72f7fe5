"""The success bodies of the OpenAPI document that routes build as plain JSON.

The routes (``messages``, ``send``, ``inbox``, ``connections``' test, ``health``) answer with
dictionaries; these models describe those answers, member by member, so that the document is
complete and the contract test can hold every answer to it. Stored JSON members
(``lastError``, a refusal) list their known members and admit more.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from smtp_connector.api.schemas.fields import Timestamp
from smtp_connector.api.schemas.problems import Problem, SmtpReplyView
from smtp_connector.outbox.types import AttemptOutcome, MessageStatus


class Answer(BaseModel):
    """An answer object: camelCase members, no member beyond those listed."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class LastError(BaseModel):
    """The last failure of a message."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    code: str
    message: str
    smtp_code: int | None = Field(alias="smtpCode")
    enhanced_code: str | None = Field(alias="enhancedCode")
    retryable: bool


class MessageView(Answer):
    """A message in the outbox."""

    id: str
    connection: str
    status: MessageStatus
    message_id: str = Field(
        alias="messageId", description="The Message-ID header, kept on retries."
    )
    from_: str = Field(alias="from", description="The envelope sender.")
    recipients: list[str]
    size: int = Field(ge=0, description="Bytes of the composed message.")
    attempt_count: int = Field(alias="attemptCount", ge=0)
    created_at: Timestamp = Field(alias="createdAt")
    updated_at: Timestamp = Field(alias="updatedAt")
    next_attempt_at: Timestamp | None = Field(alias="nextAttemptAt")
    sent_at: Timestamp | None = Field(alias="sentAt")
    accepted: list[str]
    rejected: dict[str, SmtpReplyView]
    response: str | None = Field(description="The server's reply to the message data.")
    last_error: LastError | None = Field(alias="lastError")
    outcome_unknown: bool = Field(
        alias="outcomeUnknown",
        description="An attempt broke after the final dot: the server may have the message.",
    )


class AttemptView(Answer):
    """One delivery attempt."""

    number: int = Field(ge=1)
    worker: str
    started_at: Timestamp = Field(alias="startedAt")
    finished_at: Timestamp | None = Field(alias="finishedAt")
    outcome: AttemptOutcome | None
    smtp_code: int | None = Field(alias="smtpCode")
    enhanced_code: str | None = Field(alias="enhancedCode")
    response: str | None
    error_code: str | None = Field(alias="errorCode")
    error: str | None


class MessageDetail(MessageView):
    """A message in the outbox with every attempt, oldest first."""

    attempts: list[AttemptView]


class MessagePage(Answer):
    """Messages newest first; ``nextCursor`` continues (null on the last page)."""

    messages: list[MessageView]
    next_cursor: str | None = Field(alias="nextCursor")


class SendSent(Answer):
    """200: the server took the message (some recipients may have been refused)."""

    id: str
    message_id: str = Field(alias="messageId")
    status: Literal["sent"]
    accepted: list[str]
    rejected: dict[str, SmtpReplyView]
    response: str = Field(description="The server's reply to the message data.")


class SendAccepted(Answer):
    """202: committed to the outbox and not sent yet; poll ``location``."""

    id: str
    message_id: str = Field(alias="messageId")
    status: MessageStatus
    location: str = Field(description="``/v1/messages/{id}``, also in the Location header.")


class BatchItemAccepted(Answer):
    index: int = Field(ge=0)
    id: str
    message_id: str = Field(alias="messageId")
    status: MessageStatus
    location: str


class BatchItemRefused(Answer):
    index: int = Field(ge=0)
    problem: Problem


class BatchAnswer(Answer):
    """202: one entry per item, in order: the queued message, or why the item was refused."""

    queued: int = Field(ge=1)
    rejected: int = Field(ge=0)
    items: list[BatchItemAccepted | BatchItemRefused]


class InboxMessageView(Answer):
    """A message the local inbox captured, summarised when it arrived."""

    id: int
    received_at: Timestamp = Field(alias="receivedAt")
    mail_from: str = Field(alias="mailFrom")
    rcpt_to: list[str] = Field(alias="rcptTo")
    from_: str = Field(alias="from")
    to: str
    cc: str
    subject: str
    message_id: str = Field(alias="messageId")
    size: int = Field(ge=0)
    attachments: list[str | None] = Field(description="File names (null for an unnamed part).")
    preview: str = Field(description="The start of the text (or HTML) body.")


class InboxList(Answer):
    messages: list[InboxMessageView]


class Capabilities(Answer):
    starttls: bool
    auth: list[str]
    size: int | None
    pipelining: bool
    eightbitmime: bool = Field(alias="8bitmime")
    smtputf8: bool
    dsn: bool


class ConnectionCheck(Answer):
    """The server answered: TLS, AUTH and what it offers."""

    ok: Literal[True]
    connection: str
    tls: bool
    authenticated: bool
    capabilities: Capabilities


class Healthy(Answer):
    status: Literal["ok"]


class Ready(Answer):
    status: Literal["ready"]
