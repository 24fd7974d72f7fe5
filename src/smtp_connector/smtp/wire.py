"""The aiosmtplib client under a :class:`~smtp_connector.smtp.session.Session`: :class:`WireClient`.

It differs from aiosmtplib's :class:`~aiosmtplib.SMTP` in two ways:

* ``close()`` drops the socket at once (no TLS shutdown that may never end);
* ``data()`` does the DATA exchange in the open, so that ``message_sent`` tells whether the whole
  message, final dot included, got out before the connection broke or the reply timed out. That
  is what decides ``DeliveryError.outcome_unknown`` (RFC 5321 section 6.1) in
  :mod:`~smtp_connector.smtp.transaction`.
"""

from __future__ import annotations

import asyncio
from typing import Literal, cast

from aiosmtplib import (
    SMTP,
    SMTPDataError,
    SMTPResponse,
    SMTPServerDisconnected,
    SMTPStatus,
    SMTPTimeoutError,
)
from aiosmtplib.protocol import PERIOD_REGEX, SMTPProtocol, normalize_message_line_endings
from aiosmtplib.typing import Default

__all__ = ["WireClient"]


class WireClient(SMTP):
    """aiosmtplib's client whose ``close()`` drops the socket at once.

    aiosmtplib closes the connection itself after QUIT, a 421, a timeout or a disconnect. Over TLS
    a plain ``close()`` starts a TLS shutdown that keeps the socket open until the server answers
    it, which may be never (or only after the event loop is gone, leaking the socket). Nothing is
    read after those points, so aborting loses nothing.
    """

    message_sent = False
    """Set by :meth:`data`: see :attr:`Session.message_sent
    <smtp_connector.smtp.session.Session.message_sent>`."""

    def close(self) -> None:
        transport = cast(asyncio.Transport | None, self.transport)  # uvloop's: duck-typed
        if transport is not None and hasattr(transport, "abort"):
            transport.abort()
        super().close()

    async def data(
        self,
        message: str | bytes,
        /,
        *,
        timeout: float | Literal[Default.token] | None = Default.token,
    ) -> SMTPResponse:
        """aiosmtplib's DATA, done in the open to tell whether the whole message got out.

        ``message_sent`` becomes true once the ``354`` arrived and the message with its final dot
        was handed to the transport, and stays true when the connection then breaks or the
        reply times out, unless the transport was still holding back part of it (over its
        write-buffer high-water mark, or anything at all when it can still be asked). With
        those bytes unsent the server cannot have the final dot, so it cannot have accepted
        the message.
        """
        self.message_sent = False
        protocol = self.protocol
        if protocol is None:
            raise SMTPServerDisconnected("Connection lost")
        if timeout is Default.token:
            timeout = self.timeout
        if isinstance(message, str):
            message = message.encode("ascii")
        payload = PERIOD_REGEX.sub(b"..", normalize_message_line_endings(message)) + b".\r\n"

        start = await self.execute_command(b"DATA", timeout=timeout)  # closes on drop/timeout
        if start.code != SMTPStatus.start_input:
            raise SMTPDataError(start.code, start.message)

        # Duck-typed: uvloop's transports do not derive from asyncio.WriteTransport.
        transport = cast(asyncio.WriteTransport | None, protocol.transport)
        if transport is None or transport.is_closing():
            self.close()
            raise SMTPServerDisconnected("Connection lost")
        watch = _WriteWatch(protocol)
        transport.set_protocol(watch)
        written = False
        try:
            protocol.write(payload)
            written = True
            response = await protocol.read_response(timeout=timeout)
        except (SMTPServerDisconnected, SMTPTimeoutError):
            self.message_sent = (
                written and not watch.held_back and transport.get_write_buffer_size() == 0
            )
            self.close()
            raise
        finally:
            if transport.get_protocol() is watch:
                transport.set_protocol(protocol)
        if response.code != SMTPStatus.completed:
            raise SMTPDataError(response.code, response.message)
        return response


class _WriteWatch(asyncio.Protocol):
    """Stands between the transport and aiosmtplib's protocol while a message body goes out.

    Every callback is passed on unchanged; on the way it notes whether the transport paused
    writing (it holds more unsent bytes than its high-water mark) and has not resumed since. A
    connection that breaks with an error discards those bytes without saying how many there
    were: this is how :meth:`WireClient.data` still knows.
    """

    def __init__(self, inner: SMTPProtocol) -> None:
        self.inner = inner
        self.held_back = False

    def data_received(self, data: bytes) -> None:
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.held_back = True
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.held_back = False
        self.inner.resume_writing()
