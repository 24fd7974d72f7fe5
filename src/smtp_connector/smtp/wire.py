"""The aiosmtplib client under a :class:`~smtp_connector.smtp.session.Session`: :class:`WireClient`.

It differs from aiosmtplib's :class:`~aiosmtplib.SMTP` in two ways:

* ``close()`` drops the socket at once (no TLS shutdown that may never end);
* :meth:`WireClient.exchange` lends the connection to an
  :class:`~smtp_connector.smtp.exchange.Exchange` for one mail transaction: MAIL, RCPT and DATA
  written ahead of their replies when the server offers PIPELINING, the replies read in order,
  and the message body sent so that it is known whether all of it, final dot included, got
  out before the connection broke or the reply timed out. That decides
  ``DeliveryError.outcome_unknown`` (RFC 5321 section 6.1) in
  :mod:`~smtp_connector.smtp.transaction`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

from aiosmtplib import SMTP, SMTPServerDisconnected

from smtp_connector.smtp.exchange import Exchange

__all__ = ["WireClient"]


class WireClient(SMTP):
    """aiosmtplib's client whose ``close()`` drops the socket at once, with :meth:`exchange`.

    aiosmtplib closes the connection itself after QUIT, a 421, a timeout or a disconnect. Over TLS
    a plain ``close()`` starts a TLS shutdown that keeps the socket open until the server answers
    it, which may be never (or only after the event loop is gone, leaking the socket). Nothing is
    read after those points, so aborting loses nothing.
    """

    def close(self) -> None:
        transport = cast(asyncio.Transport | None, self.transport)  # uvloop's: duck-typed
        if transport is not None and hasattr(transport, "abort"):
            transport.abort()
        super().close()

    @contextmanager
    def exchange(self) -> Iterator[Exchange]:
        """The connection's replies go to an :class:`Exchange` (commands bounded by ``timeout``)
        until the block ends; aiosmtplib's own protocol gets them again afterwards.

        Raises ``SMTPServerDisconnected`` when the connection is gone.
        """
        protocol = self.protocol
        # Duck-typed: uvloop's transports do not derive from asyncio.WriteTransport.
        transport = None if protocol is None else protocol.transport
        if protocol is None or transport is None or transport.is_closing():
            self.close()
            raise SMTPServerDisconnected("Connection lost")
        exchange = Exchange(self, protocol, cast(asyncio.WriteTransport, transport), self.timeout)
        transport.set_protocol(exchange)
        try:
            yield exchange
        finally:
            if transport.get_protocol() is exchange:
                transport.set_protocol(protocol)
