"""One mail transaction on the wire: commands written (ahead, when pipelining), replies in order.

aiosmtplib reads exactly one reply per command it writes, and drops whatever else arrives. With
PIPELINING (RFC 2920) several commands go out in one write and their replies may come back in
one packet, so for the length of a transaction an :class:`Exchange` stands in for aiosmtplib's
protocol on the transport (:meth:`WireClient.exchange
<smtp_connector.smtp.wire.WireClient.exchange>`): it keeps every complete reply, in order, until
it is read, and passes the connection's other events on to aiosmtplib's protocol unchanged.

What it reads and raises is what aiosmtplib's client would: replies are parsed by the same rules
(multi-line replies joined with newlines, the same size limits, ``SMTPResponseException`` with
code ``-1`` for a line that is not a reply), a closed connection is ``SMTPServerDisconnected``
and a reply that does not come within the timeout is ``SMTPReadTimeoutError``; after either,
and after a ``421``, the client is closed. Replies that arrived before the connection broke are
still read first.

It also tells whether the message body with its final dot got out before a failure
(:attr:`Exchange.message_sent`), which decides ``DeliveryError.outcome_unknown`` in
:mod:`~smtp_connector.smtp.transaction`.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING

from aiosmtplib import (
    SMTPReadTimeoutError,
    SMTPResponse,
    SMTPResponseException,
    SMTPServerDisconnected,
    SMTPStatus,
)
from aiosmtplib.protocol import MAX_LINE_LENGTH, MAX_RESPONSE_LENGTH, SMTPProtocol

if TYPE_CHECKING:
    from smtp_connector.smtp.wire import WireClient

__all__ = ["Exchange"]

_INVALID = SMTPStatus.invalid_response.value


class Exchange(asyncio.Protocol):
    """The replies of one transaction, kept in order; see the module docstring."""

    def __init__(
        self,
        client: WireClient,
        inner: SMTPProtocol,
        transport: asyncio.WriteTransport,
        timeout: float | None,
    ) -> None:
        self._client = client
        self._inner = inner
        self._transport = transport
        self._timeout = timeout
        self._loop = asyncio.get_running_loop()
        self._buffer = bytearray()
        self._replies: deque[SMTPResponse] = deque()
        self._failure: SMTPServerDisconnected | SMTPResponseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._held_back = False
        self._body_written = False
        self.message_sent = False
        """The message body went out whole, final dot included, before the reply failed to come.

        Set when reading the reply after :meth:`write_body` fails: true unless the transport was
        still holding back part of the body (over its write-buffer high-water mark, or
        anything at all when it can still be asked). With those bytes unsent the server cannot
        have the final dot, so it cannot have accepted the message."""

    # -- what the transaction calls ---------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Write command lines; ``SMTPServerDisconnected`` when the connection is closing."""
        if self._transport.is_closing():
            self._client.close()
            raise SMTPServerDisconnected("Connection lost")
        self._transport.write(data)

    def write_body(self, payload: bytes) -> None:
        """Write the message after ``354`` (dot-stuffed, final dot included)."""
        self.write(payload)
        self._body_written = True

    async def read(self) -> SMTPResponse:
        """The next reply, within the timeout; raises as aiosmtplib's client would."""
        if not self._replies and self._failure is None:
            waiter = self._waiter = self._loop.create_future()
            timer = None
            if self._timeout is not None:
                timer = self._loop.call_later(self._timeout, _expire, waiter)
            try:
                await waiter
            except TimeoutError:
                self._fail_read()
                raise SMTPReadTimeoutError("Timed out waiting for server response") from None
            finally:
                self._waiter = None
                if timer is not None:
                    timer.cancel()
        if self._replies:
            reply = self._replies.popleft()
            if reply.code == SMTPStatus.domain_unavailable:  # 421: the server ends the session
                self._client.close()
            return reply
        failure = self._failure
        assert failure is not None
        self._fail_read()
        if isinstance(failure, SMTPResponseException):
            raise SMTPResponseException(failure.code, failure.message)
        error = SMTPServerDisconnected(str(failure))
        error.__cause__ = failure.__cause__
        raise error

    def _fail_read(self) -> None:
        """No reply: note whether the body had gone out whole, and close the connection."""
        if self._body_written:
            self.message_sent = not self._held_back and self._transport.get_write_buffer_size() == 0
        self._client.close()

    # -- asyncio.Protocol -------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._failure is not None:
            return
        buffer = self._buffer
        buffer += data
        try:
            while (reply := _take_reply(buffer)) is not None:
                self._replies.append(reply)
            if len(buffer) > MAX_RESPONSE_LENGTH:
                raise SMTPResponseException(_INVALID, "Response too long")
        except SMTPResponseException as exc:
            del buffer[:]
            self._failure = exc
        self._wake()

    def eof_received(self) -> bool | None:
        self._set_failure(SMTPServerDisconnected("Unexpected EOF received"), None)
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self._set_failure(SMTPServerDisconnected("Connection lost"), exc)
        self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self._held_back = True
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._held_back = False
        self._inner.resume_writing()

    def _set_failure(self, error: SMTPServerDisconnected, cause: Exception | None) -> None:
        if self._failure is None:
            error.__cause__ = cause
            self._failure = error
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done() and (self._replies or self._failure):
            waiter.set_result(None)


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


def _take_reply(buffer: bytearray) -> SMTPResponse | None:
    """Remove the first complete reply from ``buffer`` and return it; ``None`` if incomplete.

    The rules are aiosmtplib's (``SMTPProtocol._read_response_from_buffer``): the code is the
    first three characters of each line, a ``-`` after it continues the reply, and the lines'
    texts are stripped and joined with newlines.
    """
    code = -1
    text = bytearray()
    offset = 0
    while True:
        end = buffer.find(b"\n", offset)
        if end == -1:
            return None
        line = bytes(buffer[offset : end + 1])
        if len(line) > MAX_LINE_LENGTH:
            raise SMTPResponseException(_INVALID, "Response too long")
        try:
            code = int(line[:3])
        except ValueError:
            shown = line.decode("utf-8", errors="ignore")
            raise SMTPResponseException(
                _INVALID, f"Malformed SMTP response line: {shown}"
            ) from None
        offset = end + 1
        if text:
            text += b"\n"
        text += line[4:].strip(b" \t\r\n")
        if line[3:4] != b"-":
            del buffer[:offset]
            return SMTPResponse(code, bytes(text).decode("utf-8", "surrogateescape"))
