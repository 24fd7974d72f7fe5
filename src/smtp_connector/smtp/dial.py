"""Opening the TCP connection of a session to an address that was checked: :func:`open_socket`.

Every SMTP connection (probe, delivery, the pool) is opened here, through
:meth:`Session.open <smtp_connector.smtp.session.Session.open>`. The server's name is resolved
with the event loop's ``getaddrinfo`` (:data:`lookup`, the seam tests replace), *every* address
it yields is checked against :func:`~smtp_connector.smtp.servers.refusal`, and the socket is
connected to one of those checked addresses (in the resolver's order, the next one when one
refuses or fails). aiosmtplib then gets the connected socket, with the *name* kept for the TLS
server name and certificate check. So a name that resolves (or later re-resolves) to a metadata
address cannot be used, and what was checked is what is connected to.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiosmtplib import SMTPConnectError, SMTPConnectTimeoutError

from smtp_connector.errors import AddressNotAllowed
from smtp_connector.smtp.diagnose import with_hint
from smtp_connector.smtp.servers import IPAddress, parse_ip, refusal

__all__ = ["AddrInfo", "Lookup", "lookup", "open_socket", "resolve"]

AddrInfo = tuple[int, int, int, str, tuple[Any, ...]]
"""One ``getaddrinfo`` answer: family, type, proto, canonical name, socket address."""
Lookup = Callable[[str, int], Awaitable[Sequence[AddrInfo]]]

HINT_ADDRESS_NOT_ALLOWED = (
    "use the SMTP server's own name or address: link-local and cloud metadata addresses are "
    "never connected to"
)


async def lookup(host: str, port: int) -> Sequence[AddrInfo]:
    """The event loop's ``getaddrinfo`` for a TCP connection (runs off the loop)."""
    loop = asyncio.get_running_loop()
    return await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)


async def resolve(host: str, port: int, *, using: Lookup | None = None) -> list[AddrInfo]:
    """Where ``host`` is, every address checked; numeric forms are read without a lookup.

    Raises AddressNotAllowed when any address is refused (a name with one bad address is
    not used at all), ``socket.gaierror`` when the name does not resolve.
    """
    ip = parse_ip(host)
    if ip is not None:
        family = socket.AF_INET if ip.version == 4 else socket.AF_INET6
        address: tuple[Any, ...] = (str(ip), port) if ip.version == 4 else (str(ip), port, 0, 0)
        infos: Sequence[AddrInfo] = [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", address)]
    else:
        infos = await (using or lookup)(host, port)
    if not infos:
        raise socket.gaierror(socket.EAI_NONAME, "the name has no address")
    for info in infos:
        _check(host, ipaddress.ip_address(info[4][0]), numeric=ip is not None)
    return list(dict.fromkeys(infos))


def _check(host: str, ip: IPAddress, *, numeric: bool) -> None:
    reason = refusal(ip)
    if reason is None:
        return
    verb = "is" if numeric else "resolves to"
    resolved = "is" if str(ip) == host else f"{verb} {ip},"
    text = f"The SMTP server {host!r} {resolved} {reason}; {HINT_ADDRESS_NOT_ALLOWED}."
    raise with_hint(AddressNotAllowed(text), HINT_ADDRESS_NOT_ALLOWED)


async def open_socket(
    host: str, port: int, timeout: float, *, using: Lookup | None = None
) -> socket.socket:
    """A TCP socket connected to a checked address of ``host``, within ``timeout`` seconds.

    Raises AddressNotAllowed (see :func:`resolve`), and aiosmtplib's ``SMTPConnectError``
    (from the resolver's or the last address's ``OSError``) or ``SMTPConnectTimeoutError``,
    so that :mod:`~smtp_connector.smtp.failures` explains them like any connect failure.
    """
    try:
        async with asyncio.timeout(timeout):
            return await _connect_first(host, await resolve(host, port, using=using))
    except TimeoutError as exc:
        raise SMTPConnectTimeoutError(f"Timed out connecting to {host} on port {port}") from exc
    except OSError as exc:
        raise SMTPConnectError(f"Error connecting to {host} on port {port}: {exc}") from exc


async def _connect_first(host: str, infos: list[AddrInfo]) -> socket.socket:
    """The first address that accepts, in order; else the last address's error."""
    loop = asyncio.get_running_loop()
    error: OSError | None = None
    for family, kind, proto, _name, address in infos:
        sock = socket.socket(family, kind, proto)
        try:
            sock.setblocking(False)
            await loop.sock_connect(sock, address)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        except BaseException:
            sock.close()
            raise
        return sock
    assert error is not None
    raise error
