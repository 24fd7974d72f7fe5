"""The mail transaction: MAIL FROM, RCPT TO for each recipient, DATA.

Before MAIL, what the server would refuse anyway is refused here with a synthetic reply: a
non-ASCII address when the server lacks SMTPUTF8 (``553 5.6.7``), a message over the server's SIZE
limit (``552 5.3.4``). Recipients are refused one by one: the refusals end up in
``DeliveryResult.rejected`` unless every recipient was refused (``RecipientsRefused``). After a
refusal the half-built envelope is dropped with RSET.

When the server offers PIPELINING (RFC 2920), MAIL, every RCPT and DATA go out in one write and
their replies are read in order; each reply is then handled exactly as it would be without
pipelining. After a refusal the replies still owed are read before RSET, and a ``354`` that
comes although nobody is to receive the message is answered with an empty message (a lone
dot), as RFC 2920 section 3.1 asks. Without PIPELINING each command waits for its reply.

When the connection breaks, or the final reply does not come in time, after the whole message
and its final dot went out, the server may have accepted the message: the error
(``ConnectionDropped`` or ``ConnectTimeout``) then has ``outcome_unknown`` set, and sending the
message again may deliver it twice (RFC 5321 section 6.1). A break before that leaves it false.

The session remembers where the transaction got to, for reuse by
:mod:`~smtp_connector.smtp.pool`: the step whose reply is awaited (``current_step``),
``in_transaction`` from MAIL until DATA's ``250`` (or a confirmed RSET), and
``recipients_answered``.
"""

from __future__ import annotations

from contextlib import suppress

from aiosmtplib import SMTPException, SMTPResponse, SMTPResponseException

from smtp_connector.errors import MessageRefused, RecipientsRefused, TransportError
from smtp_connector.mail.message import Envelope
from smtp_connector.mail.replies import ReplyCode, SmtpReply
from smtp_connector.smtp.diagnose import with_hint
from smtp_connector.smtp.exchange import Exchange
from smtp_connector.smtp.failures import one_line, reply_hint
from smtp_connector.smtp.framing import (
    DATA_LINE,
    END_OF_DATA,
    RSET_LINE,
    crlf_lines,
    data_payload,
    mail_line,
    rcpt_line,
)
from smtp_connector.smtp.session import Session
from smtp_connector.smtp.types import Capabilities, DeliveryResult

__all__ = ["send"]

_HINT_OUTCOME_UNKNOWN = (
    "the whole message had been sent, so the server may have accepted it; sending it again "
    "may deliver it twice"
)
_RCPT_OK = (ReplyCode.OK, ReplyCode.WILL_FORWARD)


async def send(session: Session, envelope: Envelope, data: bytes) -> DeliveryResult:
    """Send ``data`` for ``envelope`` over an open (and, when needed, logged-in) session."""
    smtp = session.smtp
    caps = session.capabilities()
    addresses = (envelope.mail_from, *envelope.rcpt_to)
    needs_utf8 = envelope.smtputf8 or not all(a.isascii() for a in addresses)
    message = crlf_lines(data)
    wire_size = len(message)
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
    with session.step("MAIL FROM"):
        mail = mail_line(envelope.mail_from, mail_options, encoding)
    with session.step("RCPT TO"):
        rcpts = [rcpt_line(address, rcpt_options, encoding) for address in envelope.rcpt_to]

    session.in_transaction = True
    session.recipients_answered = 0
    with session.step("MAIL FROM"), smtp.exchange() as wire:
        return await _transact(session, wire, envelope, mail, rcpts, message, caps.pipelining)


async def _transact(
    session: Session,
    wire: Exchange,
    envelope: Envelope,
    mail: bytes,
    rcpts: list[bytes],
    message: bytes,
    pipelined: bool,
) -> DeliveryResult:
    """MAIL, RCPT, DATA and the message over ``wire``: written ahead when ``pipelined``."""
    where = session.where
    with session.step("MAIL FROM"):
        wire.write(b"".join((mail, *rcpts, DATA_LINE)) if pipelined else mail)
        reply = await wire.read()
        if reply.code != ReplyCode.OK:
            _raise_if_421(reply)
            refusal = session.reply(reply.code, reply.message)
            await _abandon(session, wire, owed=len(rcpts) + 1 if pipelined else 0)
            raise with_hint(
                MessageRefused(
                    f"The server at {where} refused the sender "
                    f"<{envelope.mail_from}>: {one_line(refusal)}",
                    refusal,
                ),
                reply_hint(refusal, "check that this account may send as this address"),
            )

    accepted: list[str] = []
    rejected: dict[str, SmtpReply] = {}
    with session.step("RCPT TO"):
        for address, line in zip(envelope.rcpt_to, rcpts, strict=True):
            if not pipelined:
                wire.write(line)
            reply = await wire.read()
            if reply.code in _RCPT_OK:
                accepted.append(address)
            else:
                _raise_if_421(reply)
                rejected[address] = session.reply(reply.code, reply.message)
            session.recipients_answered += 1
    if not accepted:
        await _abandon(session, wire, owed=1 if pipelined else 0)
        error = RecipientsRefused(rejected)
        raise with_hint(
            error,
            "try again later"
            if error.retryable
            else "check the recipient addresses; the server refused each of them",
        )

    try:
        with session.step("DATA"):
            if not pipelined:
                wire.write(DATA_LINE)
            reply = await wire.read()
            taken = False
            if reply.code == ReplyCode.START_MAIL_INPUT:
                wire.write_body(data_payload(message))
                reply = await wire.read()
                taken = reply.code == ReplyCode.OK
            if not taken:
                _raise_if_421(reply)
                refusal = session.reply(reply.code, reply.message)
                await _abandon(session, wire, owed=0)
                raise with_hint(
                    MessageRefused(
                        f"The server at {where} refused the message: {one_line(refusal)}",
                        refusal,
                    ),
                    reply_hint(refusal, "the server's reply says why; change the message"),
                )
    except TransportError as error:
        if wire.message_sent:
            error.outcome_unknown = True
            with_hint(error, _HINT_OUTCOME_UNKNOWN)
        raise
    session.in_transaction = False
    return DeliveryResult(
        accepted=tuple(accepted),
        rejected=rejected,
        response=session.reply(reply.code, reply.message),
    )


def _raise_if_421(reply: SMTPResponse) -> None:
    """A ``421`` ends the session whatever the command: the step's error says so."""
    if reply.code == ReplyCode.SERVICE_UNAVAILABLE:
        raise SMTPResponseException(reply.code, reply.message)


async def _abandon(session: Session, wire: Exchange, *, owed: int) -> None:
    """After a refusal: read the ``owed`` replies to commands written ahead, then RSET, so the
    server drops the half-built envelope. Errors are ignored (the connection is then closed).

    A ``354`` among them (DATA accepted although the transaction cannot go on) is answered
    with an empty message, a lone dot (RFC 2920 section 3.1). ``in_transaction`` stays true
    unless the server confirmed the RSET.
    """
    with suppress(SMTPException, OSError, TimeoutError):
        for _ in range(owed):
            if (await wire.read()).code == ReplyCode.START_MAIL_INPUT:
                wire.write(END_OF_DATA)
                await wire.read()
        wire.write(RSET_LINE)
        if (await wire.read()).code == ReplyCode.OK:
            session.in_transaction = False


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
