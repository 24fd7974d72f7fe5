"""The one error tree of smtp-connector.

Domain code raises these; only ``api/problems.py`` turns them into HTTP answers.

    ConnectorError
    ├── ConfigurationError            settings or stored data are unusable (start-up, key file)
    ├── InvalidInput                  the caller's input is wrong: 400, with field-level problems
    │   └── PayloadTooLarge           a size or count limit was passed: 413
    ├── NotFound                      a named thing does not exist: 404
    │   ├── ConnectionNotFound
    │   ├── ApiKeyNotFound
    │   ├── MessageNotFound
    │   ├── WorkflowNotFound
    │   ├── TriggerNotFound
    │   └── RunNotFound
    ├── Conflict                      the request clashes with the current state: 409
    │   ├── AlreadyExists             a name is taken
    │   ├── IdempotencyMismatch       the same Idempotency-Key with a different body
    │   └── WorkflowDisabled          a disabled workflow's trigger was called
    ├── RateLimited                   too many calls for a connection: 429 (``retry_after``)
    ├── SenderNotAllowed              From is outside the connection's allow-list: 403
    ├── HostNotAllowed                the SMTP server is outside the operator's allow-list: 403
    ├── SalesforceError               Salesforce could not be used (``code``: ``auth_failed``,
    │                                 ``connect_failed``, ``timeout``, ``request_limit``, ...):
    │                                 502, or 503 when ``retryable``
    └── DeliveryError                 not sent; ``retryable`` says whether to try again
        ├── AddressNotAllowed         code ``address_not_allowed``: the server is (or resolves
        │                             to) a link-local or cloud metadata address; never retried
        ├── TransportError            could not talk to the server (connect, TLS, timeout, drop)
        │   ├── ConnectFailed         code ``connect_failed``
        │   ├── ConnectTimeout        code ``timeout`` (also a ``TimeoutError``)
        │   ├── TlsFailed             code ``tls_failed``
        │   ├── NotSmtp               code ``not_smtp``
        │   └── ConnectionDropped     code ``connection_dropped``
        └── ReplyError                the server answered with a refusal (``reply`` holds it)
            ├── AuthFailed            code ``auth_failed``
            ├── RecipientsRefused     every recipient was refused (``refusals`` per address)
            └── MessageRefused        MAIL FROM or DATA refused, code ``message_refused``
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smtp_connector.mail.replies import SmtpReply


@dataclass(frozen=True)
class FieldProblem:
    """One wrong field: a dotted or indexed path such as ``Attachments[2].ContentData``, or a
    JSON pointer (``/definition/actions/Send/inputs/body/Subject``) in a workflow definition;
    ``column`` (1-based) points into an expression's text."""

    field: str
    message: str
    column: int | None = None


class ConnectorError(Exception):
    """Root of every error smtp-connector raises on purpose."""

    code: str = "error"
    hint: str | None = None
    """What the user could change or try next, when the code knows (shown beside the message)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigurationError(ConnectorError):
    code = "configuration_error"


class InvalidInput(ConnectorError, ValueError):
    """The input is wrong; ``problems`` names each wrong field."""

    code = "invalid_input"

    def __init__(self, message: str, problems: Sequence[FieldProblem] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)

    @classmethod
    def field(cls, field: str, message: str) -> InvalidInput:
        return cls(message, [FieldProblem(field, message)])


class PayloadTooLarge(InvalidInput):
    code = "payload_too_large"


class NotFound(ConnectorError, LookupError):
    code = "not_found"


class ConnectionNotFound(NotFound):
    code = "connection_not_found"

    def __init__(self, name: str, message: str | None = None) -> None:
        super().__init__(message or f"There is no connection named {name!r}.")
        self.name = name


class WorkflowNotFound(NotFound):
    code = "workflow_not_found"

    def __init__(self, name: str) -> None:
        super().__init__(f"There is no workflow named {name!r}.")
        self.name = name


class TriggerNotFound(NotFound):
    code = "trigger_not_found"

    def __init__(self, workflow: str, name: str) -> None:
        super().__init__(f"The workflow {workflow!r} has no trigger named {name!r}.")
        self.name = name


class RunNotFound(NotFound):
    code = "run_not_found"

    def __init__(self, workflow: str, run: str) -> None:
        super().__init__(f"The workflow {workflow!r} has no run {run!r}.")
        self.run = run


class ApiKeyNotFound(NotFound):
    code = "api_key_not_found"

    def __init__(self, key_id: str) -> None:
        super().__init__(f"There is no API key with id {key_id!r}.")
        self.key_id = key_id


class MessageNotFound(NotFound):
    code = "message_not_found"

    def __init__(self, message_id: str) -> None:
        super().__init__(f"There is no message with id {message_id!r}.")
        self.message_id = message_id


class Conflict(ConnectorError):
    code = "conflict"


class AlreadyExists(Conflict):
    code = "already_exists"


class IdempotencyMismatch(Conflict):
    code = "idempotency_key_reused"


class WorkflowDisabled(Conflict):
    code = "workflow_disabled"

    def __init__(self, name: str) -> None:
        super().__init__(f"The workflow {name!r} is disabled; enable it to run its triggers.")
        self.name = name


class RateLimited(ConnectorError):
    """Too many calls; ``retry_after`` is the number of seconds until one more is allowed."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SenderNotAllowed(ConnectorError, PermissionError):
    code = "sender_not_allowed"


class HostNotAllowed(ConnectorError, PermissionError):
    code = "host_not_allowed"


class SalesforceError(ConnectorError):
    """A Salesforce call failed; ``code`` is stable, ``hint`` says what to change, and
    ``retryable`` whether the same call may succeed later (a timeout, a limit, a 5xx)."""

    def __init__(
        self, code: str, message: str, *, hint: str | None = None, retryable: bool = False
    ) -> None:
        super().__init__(message)
        self.code = code
        self.hint = hint
        self.retryable = retryable


class DeliveryError(ConnectorError):
    """Sending failed; ``retryable`` tells whether the same message may succeed later."""

    retryable: bool = True
    outcome_unknown: bool = False
    """True when the connection broke after the whole message was sent but before the reply:
    the server may have accepted it, so a retry may deliver a duplicate (RFC 5321 section 6.1)."""


class AddressNotAllowed(DeliveryError):
    """The server's address is refused (link-local, cloud metadata): nothing was sent to it."""

    code = "address_not_allowed"
    retryable = False


class TransportError(DeliveryError, ConnectionError):
    """The conversation with the server could not take place or broke off."""


class ConnectFailed(TransportError):
    code = "connect_failed"


class ConnectTimeout(TransportError, TimeoutError):
    code = "timeout"


class TlsFailed(TransportError):
    code = "tls_failed"
    retryable = False


class NotSmtp(TransportError):
    code = "not_smtp"
    retryable = False


class ConnectionDropped(TransportError):
    code = "connection_dropped"


class ReplyError(DeliveryError):
    """The server refused; ``reply`` is its answer, and 4xx replies are retryable."""

    code = "smtp_error"

    def __init__(self, message: str, reply: SmtpReply) -> None:
        super().__init__(message)
        self.reply = reply
        self.retryable = reply.is_transient


class AuthFailed(ReplyError):
    code = "auth_failed"


class MessageRefused(ReplyError):
    code = "message_refused"


class RecipientsRefused(ReplyError):
    """Every recipient was refused; retryable only when some refusal was transient."""

    code = "recipients_refused"

    def __init__(self, refusals: Mapping[str, SmtpReply]) -> None:
        first = next(iter(refusals.values()))
        super().__init__("The server refused every recipient.", first)
        self.refusals = dict(refusals)
        self.retryable = any(r.is_transient for r in refusals.values())
