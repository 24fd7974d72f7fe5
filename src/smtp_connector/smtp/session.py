"""Opening an SMTP conversation: connect, greeting, EHLO (or HELO), STARTTLS, capabilities.

A :class:`Session` is one conversation over one aiosmtplib client (a
:class:`~smtp_connector.smtp.wire.WireClient`). It remembers the protocol step being done,
whether TLS is on and whether the login succeeded. Each step runs inside :meth:`Session.step`,
which translates third-party errors (:mod:`~smtp_connector.smtp.failures`). aiosmtplib's own
automatic STARTTLS and login are switched off: :meth:`Session.open` applies the ``security``
rules of :mod:`smtp_connector.smtp.client`, and leaving the ``async with`` block sends QUIT
(bounded) and drops the socket.

A session may carry several mail transactions (:mod:`smtp_connector.smtp.pool`): it remembers
whether the last one was left unfinished (``in_transaction``; :meth:`Session.ready_for_mail` then
sends RSET) and how far it got (``current_step``, ``recipients_answered``).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from aiosmtplib import SMTPException, SMTPHeloError, SMTPResponseException

from smtp_connector.errors import ConnectorError, InvalidInput, TlsFailed
from smtp_connector.mail.replies import ReplyCode, SmtpReply
from smtp_connector.smtp import dial
from smtp_connector.smtp.diagnose import HINT_NO_STARTTLS, with_hint
from smtp_connector.smtp.ehlo import default_client_hostname, size_limit
from smtp_connector.smtp.failures import Peer, one_line, scrub, translate
from smtp_connector.smtp.tls import client_context
from smtp_connector.smtp.types import Capabilities, Security, SmtpSettings
from smtp_connector.smtp.wire import WireClient

__all__ = ["Session"]

# QUIT is a courtesy: never wait long for its answer.
_QUIT_TIMEOUT = 5.0


class Session:
    """One SMTP conversation: the aiosmtplib client, the step being done, and what we learned."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.peer = Peer.of(settings)
        self.where = self.peer.where
        self.current_step = "connect"
        self.tls = False
        self.authenticated = False
        self.offered_starttls = False
        self.in_transaction = False
        """MAIL was sent and the transaction has not ended (DATA answered 250, or a RSET)."""
        self.recipients_answered = 0
        """RCPT replies received in the current transaction (refusals included)."""
        self._smtp: WireClient | None = None

    def __repr__(self) -> str:
        return f"<SMTP session {self.where} step={self.current_step} tls={self.tls}>"

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is None or isinstance(exc, ConnectorError):
            await self.quit()
        else:  # cancelled or a bug: do not wait for the server
            self.abort()

    @property
    def smtp(self) -> WireClient:
        assert self._smtp is not None, "the session is not open"
        return self._smtp

    @property
    def is_connected(self) -> bool:
        return self._smtp is not None and self._smtp.is_connected

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Run one protocol step; translate anything third-party that escapes it."""
        self.current_step = name
        try:
            yield
        except ConnectorError as error:
            scrub(error, self.peer.redact)
            raise
        except Exception as exc:
            scrub(exc, self.peer.redact)
            translated = translate(exc, self.peer, name)
            if translated is None:
                raise
            raise translated from exc

    def reply(self, code: int, text: str) -> SmtpReply:
        """A server reply as shown to users (see :meth:`Peer.reply`)."""
        return self.peer.reply(code, text)

    # -- opening: connect, EHLO, STARTTLS ---------------------------------------------------

    async def open(self) -> None:
        """Connect, read the greeting, EHLO, and STARTTLS as ``security`` demands.

        The TCP connection goes to an address of ``settings.host`` that was checked
        (:func:`~smtp_connector.smtp.dial.open_socket`: AddressNotAllowed for a link-local or
        metadata address); TLS checks the certificate against the name itself.
        """
        settings = self.settings
        if not settings.host or any(c.isspace() or ord(c) < 32 for c in settings.host):
            raise InvalidInput.field("host", "The SMTP host must be a host name or IP address.")
        context: ssl.SSLContext | None = None
        if settings.security is not Security.NONE:
            context = client_context(settings)
        local_hostname = settings.client_hostname or await default_client_hostname(
            settings.timeout_seconds
        )
        try:
            # The socket comes from dial (a checked address); the name stays for TLS.
            self._smtp = WireClient(
                hostname=settings.host,
                local_hostname=local_hostname,
                timeout=settings.timeout_seconds,
                use_tls=settings.security is Security.TLS,
                start_tls=False,
                tls_context=context if settings.security is Security.TLS else None,
            )
        except ValueError as exc:
            raise InvalidInput.field(
                "clientHostname",
                "The client host name for EHLO must be a host name without spaces or "
                "control characters.",
            ) from exc

        with self.step("connect"):
            sock = await dial.open_socket(settings.host, settings.port, settings.timeout_seconds)
            try:
                await self.smtp.connect(sock=sock)
            except BaseException:
                sock.close()  # aiosmtplib may fail before a transport owns it
                raise
        self.tls = settings.security is Security.TLS
        with self.step("EHLO"):
            await self._hello()
        self.offered_starttls = self.smtp.supports_extension("starttls")

        if settings.security in (Security.STARTTLS, Security.STARTTLS_OPTIONAL):
            required = settings.security is Security.STARTTLS
            if self.offered_starttls:
                assert context is not None
                await self._starttls(context, required=required)
            elif required:
                raise with_hint(
                    TlsFailed(
                        f"The server at {self.where} does not offer STARTTLS; security=starttls "
                        "refuses to send the password or the message in clear. " + HINT_NO_STARTTLS
                    ),
                    HINT_NO_STARTTLS,
                )

    async def _hello(self) -> None:
        try:
            await self.smtp.ehlo()
        except SMTPHeloError as exc:
            if exc.code == ReplyCode.SERVICE_UNAVAILABLE or not self.smtp.is_connected:
                raise
            await self.smtp.helo()

    async def _starttls(self, context: ssl.SSLContext, *, required: bool) -> None:
        with self.step("STARTTLS"):
            try:
                await self.smtp.starttls(tls_context=context, server_hostname=self.settings.host)
            except SMTPResponseException as exc:
                if exc.code < 0 or exc.code == ReplyCode.SERVICE_UNAVAILABLE:
                    raise
                if not required:
                    return  # starttls-optional: the server said no, carry on in clear
                reply = self.reply(exc.code, exc.message)
                raise with_hint(
                    TlsFailed(
                        f"The server at {self.where} refused STARTTLS ({one_line(reply)}); "
                        "security=starttls does not continue without TLS. " + HINT_NO_STARTTLS
                    ),
                    HINT_NO_STARTTLS,
                ) from exc
        self.tls = True
        with self.step("EHLO"):
            await self._hello()

    def capabilities(self) -> Capabilities:
        """What the last EHLO answer offered, and what this session achieved (TLS, login)."""
        smtp = self.smtp
        extensions = smtp.esmtp_extensions
        return Capabilities(
            tls=self.tls,
            authenticated=self.authenticated,
            starttls=self.offered_starttls,
            auth_mechanisms=tuple(dict.fromkeys(m.upper() for m in smtp.server_auth_methods)),
            size_limit=size_limit(extensions.get("size")),
            pipelining="pipelining" in extensions,
            eightbitmime="8bitmime" in extensions,
            smtputf8="smtputf8" in extensions,
            dsn="dsn" in extensions,
        )

    # -- closing ----------------------------------------------------------------------------

    async def ready_for_mail(self) -> None:
        """Before MAIL on a reused session: RSET when the last transaction was left unfinished.

        A failure here is raised (translated), like any other step.
        """
        if not self.in_transaction:
            return
        with self.step("RSET"):
            await self.smtp.rset()
        self.in_transaction = False

    async def quit(self) -> None:
        """QUIT (bounded, errors ignored) and drop the socket."""
        smtp = self._smtp
        if smtp is None:
            return
        try:
            if smtp.is_connected:
                await smtp.quit(timeout=min(self.settings.timeout_seconds, _QUIT_TIMEOUT))
        except (SMTPException, OSError, TimeoutError):
            pass
        finally:
            self.abort()

    def abort(self) -> None:
        """Drop the socket at once, without QUIT."""
        if self._smtp is not None:
            self._smtp.close()
