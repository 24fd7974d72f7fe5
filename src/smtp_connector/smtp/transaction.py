"""The mail transaction: MAIL FROM, RCPT TO for each recipient, DATA.

Before MAIL, what the server would refuse anyway is refused here with a synthetic reply: a
non-ASCII address when the server lacks SMTPUTF8 (``553 5.6.7``), a message over the server's SIZE
limit (``552 5.3.4``). Recipients are refused one by one: the refusals end up in
``DeliveryResult.rejected`` unless every recipient was refused (``RecipientsRefused``). After a
refusal the half-built envelope is dropped with RSET.

When the connection breaks, or the final reply does not come in time, after the whole message
and its final dot went out, the server may have accepted the message: the error
(``ConnectionDropped`` or ``ConnectTimeout``) then has ``outcome_unknown`` set, and sending the
message again may deliver it twice (RFC 5321 section 6.1). A break before that leaves it false.

The session remembers where the transaction got to, for reuse by
:mod:`~smtp_connector.smtp.pool`: ``in_transaction`` from MAIL until DATA's ``250`` (or a
confirmed RSET), and ``recipients_answered``.
"""

from __future__ import annotations

from aiosmtplib import SMTPDataError, SMTPRecipientRefused, SMTPSenderRefused
from aiosmtplib.protocol import normalize_message_line_endings

from smtp_connector.errors import MessageRefused, RecipientsRefused, TransportError
from smtp_connector.mail.message import Envelope
from smtp_connector.mail.replies import ReplyCode, SmtpReply
from smtp_connector.smtp.diagnose import with_hint
from smtp_connector.smtp.failures import one_line, reply_hint
from smtp_connector.smtp.session import Session
from smtp_connector.smtp.types import Capabilities, DeliveryResult

__all__ = ["send"]

_HINT_OUTCOME_UNKNOWN = (
    "the whole message had been sent, so the server may have accepted it; sending it again "
    "may deliver it twice"
)


async def send(session: Session, envelope: Envelope, data: bytes) -> DeliveryResult:
    """Send ``data`` for ``envelope`` over an open (and, when needed, logged-in) session."""
    smtp, where = session.smtp, session.where
    caps = session.capabilities()
    addresses = (envelope.mail_from, *envelope.rcpt_to)
    needs_utf8 = envelope.smtputf8 or not all(a.isascii() for a in addresses)
    wire_size = len(normalize_message_line_endings(data))
    _check_fits(session, caps, needs_utf8=needs_utf8, wire_size=wire_size)

    mail_options: list[str] = []
    if smtp.supports_extension("size"):
        mail_options.append(f"SIZE={wire_size}")
    if caps.eightbitmime and not data.isascii():
        mail_options.append("BODY=8BITMIME")
    if needs_utf8:
        mail_options.append("SMTPUTF8")
    rcpt_options: list[str] = []
    if envelope.dsn and caps.dsn:
        mail_options.append("RET=HDRS")
        rcpt_options.append("NOTIFY=SUCCESS,FAILURE")
    encoding = "utf-8" if needs_utf8 else "ascii"

    session.in_transaction = True
    session.recipients_answered = 0
    with session.step("MAIL FROM"):
        try:
            await smtp.mail(envelope.mail_from, options=mail_options, encoding=encoding)
        except SMTPSenderRefused as exc:
            if exc.code == ReplyCode.SERVICE_UNAVAILABLE:
                raise
            reply = session.reply(exc.code, exc.message)
            await session.reset()
            raise with_hint(
                MessageRefused(
                    f"The server at {where} refused the sender "
                    f"<{envelope.mail_from}>: {one_line(reply)}",
                    reply,
                ),
                reply_hint(reply, "check that this account may send as this address"),
            ) from exc

    accepted: list[str] = []
    rejected: dict[str, SmtpReply] = {}
    with session.step("RCPT TO"):
        for address in envelope.rcpt_to:
            try:
                await smtp.rcpt(address, options=rcpt_options, encoding=encoding)
            except SMTPRecipientRefused as exc:
                if exc.code == ReplyCode.SERVICE_UNAVAILABLE:
                    raise
                rejected[address] = session.reply(exc.code, exc.message)
            else:
                accepted.append(address)
            session.recipients_answered += 1
    if not accepted:
        await session.reset()
        error = RecipientsRefused(rejected)
        raise with_hint(
            error,
            "try again later"
            if error.retryable
            else "check the recipient addresses; the server refused each of them",
        )

    try:
        with session.step("DATA"):
            try:
                response = await smtp.data(data)
            except SMTPDataError as exc:
                if exc.code == ReplyCode.SERVICE_UNAVAILABLE:
                    raise
                reply = session.reply(exc.code, exc.message)
                await session.reset()
                raise with_hint(
                    MessageRefused(
                        f"The server at {where} refused the message: {one_line(reply)}", reply
                    ),
                    reply_hint(reply, "the server's reply says why; change the message"),
                ) from exc
    except TransportError as error:
        if session.message_sent:
            error.outcome_unknown = True
            with_hint(error, _HINT_OUTCOME_UNKNOWN)
        raise
    session.in_transaction = False
    return DeliveryResult(
        accepted=tuple(accepted),
        rejected=rejected,
        response=session.reply(response.code, response.message),
    )


def _check_fits(session: Session, caps: Capabilities, *, needs_utf8: bool, wire_size: int) -> None:
    """Refuse, before MAIL, what this server cannot take: non-ASCII addresses, too large."""
    if needs_utf8 and not caps.smtputf8:
        reply = SmtpReply(
            ReplyCode.MAILBOX_NAME_NOT_ALLOWED,
            "The server does not support SMTPUTF8, needed for a non-ASCII address",
            "5.6.7",
        )
        hint = "use ASCII addresses (or punycode domains), or a server that offers SMTPUTF8"
        raise with_hint(
            MessageRefused(
                f"The server at {session.where} does not support SMTPUTF8, needed for a "
                f"non-ASCII address; {hint}.",
                reply,
            ),
            hint,
        )
    if caps.size_limit is not None and wire_size > caps.size_limit:
        reply = SmtpReply(
            ReplyCode.EXCEEDED_STORAGE,
            f"Message size {wire_size} exceeds the server limit of {caps.size_limit} bytes",
            "5.3.4",
        )
        hint = "send smaller attachments or raise the server's message size limit"
        raise with_hint(
            MessageRefused(
                f"The message is {wire_size} bytes, but the server at {session.where} accepts "
                f"at most {caps.size_limit} bytes (SIZE); {hint}.",
                reply,
            ),
            hint,
        )
