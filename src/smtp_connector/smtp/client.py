"""The SMTP client: ``probe()`` and ``deliver()``, one protocol step at a time over aiosmtplib.

Every step (TCP connect, greeting, TLS handshake, each command, the message body) is bounded by
``settings.timeout_seconds``. aiosmtplib's own automatic STARTTLS and login are switched off
(``start_tls=False``, no credentials given to it); only these rules apply:

``security=tls``
    TLS from the first byte (``use_tls=True``), usually port 465.
``security=starttls``
    After EHLO the server must offer STARTTLS, otherwise ``TlsFailed`` is raised before anything
    else is sent: no AUTH, no password, no message in clear. A refused STARTTLS is ``TlsFailed``.
``security=starttls-optional``
    STARTTLS when offered (and continue in clear if the server refuses it with a reply).
``security=none``
    Never STARTTLS, even when offered.

AUTH happens only when ``username`` is set. ``auth_mechanism=auto`` picks the first of CRAM-MD5,
PLAIN, LOGIN that the server offers; a refused login is not retried with another mechanism
(repeated failures lock accounts on many servers).

Error mapping. Third-party errors (aiosmtplib, ``ssl``, ``OSError``) are translated once, in
:mod:`~smtp_connector.smtp.failures`, with ``raise ... from exc``; each error also carries
``hint`` (what to try next, or ``None``):

======================================================  ============================================
What happened                                           Raised
======================================================  ============================================
the host is, or resolves to, a link-local or cloud      ``AddressNotAllowed`` (not retryable),
metadata address (:mod:`~smtp_connector.smtp.dial`)     before any connection is made
connection refused, host not resolvable, other          ``ConnectFailed`` (human text, no traceback)
socket errors while connecting
invalid host name                                       ``ConnectFailed`` (not retryable)
TCP connect (or implicit-TLS handshake) too slow        ``ConnectTimeout``
connected, but no greeting in time                      ``ConnectTimeout``, hint: port 465 needs
                                                        security=tls
closed before any greeting                              ``ConnectFailed``, same hint
greeting 4xx/5xx (e.g. 421)                             ``MessageRefused`` with that reply (4xx is
                                                        retryable); the banner text is not echoed
an answer that is not SMTP at all (HTTP, garbage)       ``NotSmtp``; the remote bytes are never
                                                        echoed
certificate cannot be verified                          ``TlsFailed`` with OpenSSL's verify message,
                                                        hint: verifyCertificate=false or caBundle
TLS handshake answered in clear text                    ``TlsFailed``, hint: this port speaks plain
(``security=tls`` on a plain port)                      SMTP; use security=starttls (port 587/25)
other TLS handshake failures, unusable caBundle         ``TlsFailed``
security=starttls but STARTTLS not offered / refused    ``TlsFailed``
EHLO and HELO refused                                   ``MessageRefused`` with the reply
username set, server offers no AUTH                     ``AuthFailed``, synthetic ``502 5.5.1``
chosen mechanism not offered / none we support          ``AuthFailed``, synthetic ``504 5.5.4``
AUTH refused (535, 454, ...)                            ``AuthFailed`` with the reply (4xx
                                                        retryable)
non-ASCII address, server lacks SMTPUTF8                ``MessageRefused``, synthetic ``553 5.6.7``,
                                                        before MAIL
message larger than the server's SIZE limit             ``MessageRefused``, synthetic ``552 5.3.4``,
                                                        before MAIL
MAIL FROM refused                                       ``MessageRefused`` with the reply
some recipients refused                                 ``DeliveryResult.rejected`` (per address)
every recipient refused                                 ``RecipientsRefused`` (after RSET)
421 to any command (the server ends the session)        ``MessageRefused`` with the 421 (retryable)
DATA refused, before or after the body (451/552/554)    ``MessageRefused`` with the reply
server closes the connection mid-conversation           ``ConnectionDropped``
no answer to a command in time                          ``ConnectTimeout``
address that cannot go on an SMTP command line          ``InvalidInput``
bad ``client_hostname`` / ``host`` characters           ``InvalidInput``
======================================================  ============================================

Server reply text placed in messages is stripped of control characters, shortened, and scrubbed
of the password in any form (see :class:`~smtp_connector.smtp.diagnose.Redactor`). The password
is never logged, never put into a message, and never sent before TLS when TLS is required.

The conversation is spread over small modules: :mod:`~smtp_connector.smtp.session` (connect,
greeting, EHLO, STARTTLS, capabilities, QUIT), :mod:`~smtp_connector.smtp.dial` (resolving the
host and connecting to a checked address), :mod:`~smtp_connector.smtp.ehlo` (the EHLO host
name, the SIZE limit), :mod:`~smtp_connector.smtp.wire` (the aiosmtplib client),
:mod:`~smtp_connector.smtp.auth` (choosing and running AUTH),
:mod:`~smtp_connector.smtp.transaction` (MAIL, RCPT, DATA; pipelined when the server offers
PIPELINING), :mod:`~smtp_connector.smtp.framing` (the bytes of those commands and of the
message), :mod:`~smtp_connector.smtp.exchange` (their replies, in order, and whether the whole
message got out: the outcome is then unknown) and :mod:`~smtp_connector.smtp.failures` (the
error translation above). This module strings them together; :mod:`~smtp_connector.smtp.pool`
keeps sessions open across messages.
"""

from __future__ import annotations

from smtp_connector.errors import InvalidInput
from smtp_connector.mail.message import Envelope
from smtp_connector.smtp.auth import log_in
from smtp_connector.smtp.session import Session
from smtp_connector.smtp.transaction import send
from smtp_connector.smtp.types import Capabilities, DeliveryResult, SmtpSettings

__all__ = ["deliver", "probe"]


async def probe(settings: SmtpSettings) -> Capabilities:
    """Connect, secure, EHLO and (with a username) log in, then QUIT; say what the server offers.

    Raises the same errors as :func:`deliver` for the steps it shares.
    """
    async with Session(settings) as session:
        await session.open()
        await log_in(session)
        return session.capabilities()


async def deliver(settings: SmtpSettings, envelope: Envelope, data: bytes) -> DeliveryResult:
    """Send ``data`` (wire-ready, CRLF) for ``envelope``; see the module docstring for errors.

    Returns the accepted recipients, the per-address refusals (when some recipients were
    accepted) and the server's final reply to DATA.
    """
    if not envelope.rcpt_to:
        raise InvalidInput.field("rcpt_to", "At least one recipient is needed to send a message.")
    async with Session(settings) as session:
        await session.open()
        await log_in(session)
        return await send(session, envelope, data)
