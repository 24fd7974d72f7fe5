"""Logging in: choosing the AUTH mechanism and running it.

AUTH happens only when ``username`` is set, after :meth:`Session.open
<smtp_connector.smtp.session.Session.open>` has secured the connection as ``security`` demands.
``auth_mechanism=auto`` picks the first of CRAM-MD5, PLAIN, LOGIN that the server offers; a named
mechanism must be offered. A refused login is not retried with another mechanism (repeated
failures lock accounts on many servers).
"""

from __future__ import annotations

from aiosmtplib import SMTPAuthenticationError

from smtp_connector.errors import AuthFailed
from smtp_connector.mail.replies import ReplyCode, SmtpReply
from smtp_connector.smtp.diagnose import with_hint
from smtp_connector.smtp.failures import one_line
from smtp_connector.smtp.session import Session
from smtp_connector.smtp.types import AuthMechanism

__all__ = ["log_in"]

# Preferred first when ``auth_mechanism=auto``.
_AUTH_PREFERENCE = ("cram-md5", "plain", "login")


async def log_in(session: Session) -> None:
    """AUTH with the session's username and password; does nothing without a username."""
    username = session.settings.username
    if not username:
        return
    with session.step("AUTH"):
        mechanism = _choose_mechanism(session)
        await _authenticate(session, mechanism, username, session.settings.password or "")
        session.authenticated = True


def _choose_mechanism(session: Session) -> str:
    """The mechanism to use (lower case), or ``AuthFailed`` when there is none."""
    smtp, where = session.smtp, session.where
    offered = list(dict.fromkeys(m.lower() for m in smtp.server_auth_methods))
    names = ", ".join(m.upper() for m in offered)
    if not smtp.supports_extension("auth") or not offered:
        if session.tls:
            hint = "remove the username if this server accepts mail without a login"
        else:
            hint = (
                "most servers offer AUTH only over TLS: use security=starttls or "
                "security=tls; remove the username if no login is needed"
            )
        raise with_hint(
            AuthFailed(
                f"A username is set, but the server at {where} does not offer AUTH"
                + ("" if session.tls else " on this unencrypted connection")
                + f"; {hint}.",
                SmtpReply(ReplyCode.NOT_IMPLEMENTED, "AUTH is not offered", "5.5.1"),
            ),
            hint,
        )
    wanted = session.settings.auth_mechanism
    if wanted is AuthMechanism.AUTO:
        usable = [m for m in _AUTH_PREFERENCE if m in offered]
        if not usable:
            hint = "the server needs a login method this connector does not support"
            raise with_hint(
                AuthFailed(
                    f"The server at {where} offers AUTH {names}, none of which this "
                    "connector supports (CRAM-MD5, PLAIN, LOGIN).",
                    SmtpReply(
                        ReplyCode.PARAMETER_NOT_IMPLEMENTED,
                        f"No supported AUTH mechanism; the server offers {names}",
                        "5.5.4",
                    ),
                ),
                hint,
            )
        return usable[0]
    mechanism = wanted.value
    if mechanism not in offered:
        hint = f"use authMechanism=auto or one of: {names}"
        raise with_hint(
            AuthFailed(
                f"authMechanism is {mechanism.upper()}, but the server at {where} "
                f"offers only AUTH {names}; {hint}.",
                SmtpReply(
                    ReplyCode.PARAMETER_NOT_IMPLEMENTED,
                    f"AUTH {mechanism.upper()} is not offered; the server offers {names}",
                    "5.5.4",
                ),
            ),
            hint,
        )
    return mechanism


async def _authenticate(session: Session, mechanism: str, username: str, password: str) -> None:
    """Run AUTH ``mechanism``; a refusal (other than 421) becomes ``AuthFailed``."""
    smtp = session.smtp
    try:
        if mechanism == "cram-md5":
            await smtp.auth_crammd5(username, password)
        elif mechanism == "plain":
            await smtp.auth_plain(username, password)
        else:
            await smtp.auth_login(username, password)
    except SMTPAuthenticationError as exc:
        if exc.code == ReplyCode.SERVICE_UNAVAILABLE:
            raise
        reply = session.reply(exc.code, exc.message)
        if reply.is_transient:
            hint = "the server could not check the login right now; try again later"
        elif reply.code == ReplyCode.AUTH_FAILED:
            hint = "check the username and password"
        else:
            hint = "check the username, password and authMechanism"
        raise with_hint(
            AuthFailed(
                f"The server at {session.where} refused the login for user {username!r} "
                f"(AUTH {mechanism.upper()}): {one_line(reply)}",
                reply,
            ),
            hint,
        ) from exc
