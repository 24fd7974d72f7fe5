"""Translating aiosmtplib, ``ssl`` and socket errors into the connector's error tree.

:meth:`Session.step <smtp_connector.smtp.session.Session.step>` runs each protocol step and hands
whatever third-party error escapes it to :func:`translate`, which picks the ``ConnectorError``
(with its ``hint``) from the error, its causes and the step; the table in
:mod:`smtp_connector.smtp.client` lists the outcomes. The translated error is raised ``from`` the
original, so :func:`scrub` first makes the original as safe to log as the new message: no
password in any form, no bytes from a server that does not speak SMTP.

:class:`Peer` names the server in messages and cleans its reply text (see
:class:`~smtp_connector.smtp.diagnose.Redactor` and
:func:`~smtp_connector.smtp.diagnose.clean_remote_text`).
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field

from aiosmtplib import (
    SMTPAuthenticationError,
    SMTPConnectError,
    SMTPConnectResponseError,
    SMTPConnectTimeoutError,
    SMTPException,
    SMTPHeloError,
    SMTPResponseException,
    SMTPServerDisconnected,
    SMTPTimeoutError,
)

from smtp_connector.errors import (
    AuthFailed,
    ConnectFailed,
    ConnectionDropped,
    ConnectorError,
    ConnectTimeout,
    InvalidInput,
    MessageRefused,
    NotSmtp,
)
from smtp_connector.mail.replies import ReplyCode, SmtpReply
from smtp_connector.smtp.diagnose import (
    HINT_CHECK_HOST_PORT,
    HINT_IMPLICIT_TLS_PORT,
    Redactor,
    clean_remote_text,
    with_hint,
)
from smtp_connector.smtp.tls import handshake_error
from smtp_connector.smtp.types import Security, SmtpSettings

__all__ = ["Peer", "chain", "one_line", "reply_hint", "scrub", "translate"]

_MAX_CAUSES = 16


@dataclass(frozen=True)
class Peer:
    """The server of one conversation: how messages name it, and how its replies are cleaned."""

    settings: SmtpSettings
    where: str
    redact: Redactor = field(repr=False)

    @classmethod
    def of(cls, settings: SmtpSettings) -> Peer:
        host = settings.host
        where = f"[{host}]:{settings.port}" if ":" in host else f"{host}:{settings.port}"
        return cls(settings, where, Redactor(settings.username, settings.password))

    def reply(self, code: int, text: str) -> SmtpReply:
        """The server's reply as shown to users: password redacted, control characters gone."""
        return SmtpReply.parse(code, clean_remote_text(self.redact(text)))


def one_line(reply: SmtpReply) -> str:
    return " ".join(str(reply).split())


def reply_hint(reply: SmtpReply, permanent: str | None) -> str | None:
    return "try again later" if reply.is_transient else permanent


def chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and its causes (explicit first, then implicit), bounded."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < _MAX_CAUSES:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def scrub(exc: BaseException, redact: Redactor) -> None:
    """Redact secrets and non-SMTP remote bytes from chained aiosmtplib errors.

    The causes stay attached (``raise ... from exc``) for debugging, so they must be as safe
    to log as the messages built from them.
    """
    for cause in chain(exc):
        if not isinstance(cause, SMTPException):
            continue
        if isinstance(cause, SMTPResponseException) and cause.code < 0:
            cause.message = "(the answer was not SMTP; it is not shown)"
            cause.args = (cause.code, cause.message)
        else:
            cause.message = redact(cause.message)
            cause.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in cause.args)


def translate(exc: Exception, peer: Peer, step: str) -> ConnectorError | None:
    """The connector's error for ``exc`` escaping ``step``, or ``None`` (a bug: let it through)."""
    where = peer.where
    causes = list(chain(exc))
    tls_step = step == "STARTTLS" or (step == "connect" and peer.settings.security is Security.TLS)

    ssl_error = next((c for c in causes if isinstance(c, ssl.SSLError)), None)
    if ssl_error is not None and tls_step:
        return handshake_error(ssl_error, where, after_starttls=step == "STARTTLS")
    if isinstance(exc, SMTPTimeoutError):  # SMTPConnectTimeoutError too
        return _timeout_error(exc, causes, peer, step, tls_step=tls_step)
    if isinstance(exc, SMTPResponseException) and exc.code < 0:
        return with_hint(
            NotSmtp(
                f"The server at {where} does not speak SMTP: its answer was not an SMTP "
                f"reply; {HINT_CHECK_HOST_PORT}."
            ),
            HINT_CHECK_HOST_PORT,
        )
    if isinstance(exc, SMTPConnectResponseError):
        return _greeting_error(exc, peer)
    if isinstance(exc, SMTPConnectError):
        return _connect_error(causes, peer)
    if isinstance(exc, SMTPServerDisconnected):
        if step == "DATA":
            text = (
                f"The server at {where} closed the connection during DATA, before "
                "confirming the message."
            )
        else:
            text = f"The server at {where} closed the connection during {step}."
        return with_hint(ConnectionDropped(text), "try again later")
    if isinstance(exc, SMTPResponseException):
        return _refusal(exc, peer, step)
    if isinstance(exc, SMTPException | OSError):
        if step == "connect":
            return _connect_error(causes, peer)
        return with_hint(
            ConnectionDropped(f"The connection to {where} broke during {step}."),
            "try again later",
        )
    if isinstance(exc, TimeoutError):
        return with_hint(
            ConnectTimeout(
                f"The server at {where} did not answer {step} within "
                f"{peer.settings.timeout_seconds:g} s."
            ),
            "try again later",
        )
    if isinstance(exc, ValueError):
        if step == "connect":
            error = ConnectFailed(f"The host name {peer.settings.host!r} is not valid.")
            error.retryable = False
            return with_hint(error, "check the host name")
        if isinstance(exc, UnicodeError):  # e.g. a non-ASCII EHLO name: no server takes it
            return InvalidInput(f"The {step} command needs ASCII text; this one is not.")
        if step in ("MAIL FROM", "RCPT TO"):
            return InvalidInput(f"An address cannot be sent over SMTP: {exc}")
    return None


def _timeout_error(
    exc: SMTPTimeoutError, causes: list[BaseException], peer: Peer, step: str, *, tls_step: bool
) -> ConnectorError:
    where, seconds = peer.where, f"{peer.settings.timeout_seconds:g} s"
    if not isinstance(exc, SMTPConnectTimeoutError):
        if step == "STARTTLS":
            text = f"The TLS handshake after STARTTLS with {where} did not finish within"
        else:
            text = f"The server at {where} did not answer {step} within"
        return with_hint(ConnectTimeout(f"{text} {seconds}."), "try again later")
    if any(isinstance(c, SMTPTimeoutError) for c in causes[1:]):
        if peer.settings.security is Security.TLS:
            hint = "the server may be overloaded; try again later"
        else:
            hint = HINT_IMPLICIT_TLS_PORT
        return with_hint(
            ConnectTimeout(
                f"The server at {where} accepted the connection but sent no SMTP "
                f"greeting within {seconds}; {hint}."
            ),
            hint,
        )
    what = "connect and finish the TLS handshake" if tls_step else "connect"
    return with_hint(
        ConnectTimeout(
            f"Could not {what} to {where} within {seconds}: no answer; "
            f"{HINT_CHECK_HOST_PORT} (a firewall may be dropping the connection)."
        ),
        HINT_CHECK_HOST_PORT,
    )


def _greeting_error(exc: SMTPConnectResponseError, peer: Peer) -> ConnectorError:
    where = peer.where
    if not 400 <= exc.code < 600:
        return with_hint(
            NotSmtp(
                f"The server at {where} does not speak SMTP: its greeting was not a "
                f"ready reply; {HINT_CHECK_HOST_PORT}."
            ),
            HINT_CHECK_HOST_PORT,
        )
    reply = peer.reply(exc.code, exc.message)
    if reply.is_transient:
        hint = "the server is busy or down for maintenance; try again later"
    else:
        hint = "the server does not accept mail from this client"
    # The banner text stays in ``reply`` only: it is not echoed into the message.
    return with_hint(
        MessageRefused(
            f"The server at {where} refused the session with greeting code {exc.code}; {hint}.",
            reply,
        ),
        hint,
    )


def _refusal(exc: SMTPResponseException, peer: Peer, step: str) -> ConnectorError:
    """A reply the steps do not handle themselves: 421 anywhere, EHLO/HELO, STARTTLS, ..."""
    where = peer.where
    reply = peer.reply(exc.code, exc.message)
    if reply.code == ReplyCode.SERVICE_UNAVAILABLE:
        return with_hint(
            MessageRefused(
                f"The server at {where} ended the session during {step}: {one_line(reply)}",
                reply,
            ),
            "the server ended the session; try again later",
        )
    if isinstance(exc, SMTPAuthenticationError):
        return with_hint(
            AuthFailed(f"The server at {where} refused the login: {one_line(reply)}", reply),
            "check the username and password",
        )
    hint = reply_hint(reply, None)
    if isinstance(exc, SMTPHeloError):
        hint = hint or "check clientHostname (the name sent with EHLO)"
        text = f"The server at {where} refused EHLO and HELO: {one_line(reply)}"
    else:
        text = f"The server at {where} refused {step}: {one_line(reply)}"
    return with_hint(MessageRefused(text, reply), hint)


def _connect_error(causes: list[BaseException], peer: Peer) -> ConnectorError:
    where = peer.where
    for cause in causes:
        if isinstance(cause, SMTPServerDisconnected):
            hint = (
                "the server may be overloaded or refusing this client"
                if peer.settings.security is Security.TLS
                else HINT_IMPLICIT_TLS_PORT
            )
            return with_hint(
                ConnectFailed(
                    f"The server at {where} closed the connection before sending an SMTP "
                    f"greeting; {hint}."
                ),
                hint,
            )
        if isinstance(cause, ConnectionRefusedError):
            return with_hint(
                ConnectFailed(
                    f"Nothing accepts connections at {where} (connection refused); "
                    f"{HINT_CHECK_HOST_PORT}."
                ),
                HINT_CHECK_HOST_PORT,
            )
        if isinstance(cause, socket.gaierror):
            hint = "check the host name (and the DNS of the machine running the connector)"
            return with_hint(
                ConnectFailed(
                    f"The host name {peer.settings.host!r} could not be resolved; {hint}."
                ),
                hint,
            )
        if isinstance(cause, ConnectionAbortedError) and peer.settings.security is Security.TLS:
            # asyncio's ssl_handshake_timeout fires as ConnectionAbortedError.
            hint = "check that this port speaks implicit TLS; " + HINT_CHECK_HOST_PORT
            return with_hint(
                ConnectTimeout(
                    f"The TLS handshake with {where} did not finish within "
                    f"{peer.settings.timeout_seconds:g} s; {hint}."
                ),
                hint,
            )
    reason = next(
        (
            c.strerror or str(c) or type(c).__name__
            for c in causes
            if isinstance(c, OSError) and not isinstance(c, SMTPException)
        ),
        "the network reported an error",
    )
    return with_hint(
        ConnectFailed(f"Could not connect to {where}: {reason}."),
        HINT_CHECK_HOST_PORT,
    )
