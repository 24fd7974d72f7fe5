"""Which Salesforce URLs a connection may use: its ``loginUrl`` and the ``instance_url`` a token
answer names.

The rules are those of SMTP servers (:mod:`smtp_connector.smtp.servers`) plus the scheme:

* ``https`` only, except plain ``http`` to a loopback address written as one (127.0.0.0/8,
  ``::1``), so that development and tests need no switch. A name such as ``localhost`` needs
  ``https``: what it resolves to is not known when the URL is saved.
* No user name or password in the URL, no query or fragment on a login URL.
* Never a link-local or cloud metadata address, written in any form the resolver reads; and
  the operator's allow-list (``SMTP_CONNECTOR_ALLOWED_SMTP_HOSTS``) applies when it is set.

:func:`checked_url` decides on the text; :func:`check_resolved` checks the addresses a name
resolves to, just before a call.
"""

from __future__ import annotations

import asyncio
import socket
from urllib.parse import urlsplit

from smtp_connector.errors import HostNotAllowed, InvalidInput
from smtp_connector.hosts import HostAllowList
from smtp_connector.smtp.servers import is_host_name, parse_ip, refusal

__all__ = ["check_resolved", "checked_url"]

MAX_URL = 2048


def checked_url(text: str, hosts: HostAllowList, field: str) -> str:
    """``text`` as a base URL (scheme and host, lower case, no trailing slash, a path kept).

    Raises InvalidInput naming ``field`` for a URL that breaks the rules above, and
    HostNotAllowed for a host outside the operator's allow-list."""
    problem = _problem(text)
    if problem:
        raise InvalidInput.field(field, problem)
    parts = urlsplit(text.strip())
    host = parts.hostname or ""
    if not hosts.allows(host):
        raise HostNotAllowed(
            f"The host {host!r} is not on this installation's allow-list "
            "(SMTP_CONNECTOR_ALLOWED_SMTP_HOSTS)."
        )
    netloc = parts.netloc.lower()
    return f"{parts.scheme.lower()}://{netloc}{parts.path.rstrip('/')}"


def _problem(text: str) -> str | None:
    """What is wrong with ``text`` as a Salesforce URL, or None."""
    if len(text) > MAX_URL:
        return f"use a URL of at most {MAX_URL} characters"
    if any(ord(c) < 0x21 or c == "\\" for c in text.strip()):
        return "a URL may not hold spaces, control characters or backslashes"
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        return "not a URL; give one such as https://login.salesforce.com"
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not parts.hostname:
        return "give an https URL such as https://login.salesforce.com"
    if parts.username is not None or parts.password is not None:
        return "a URL may not carry a user name or password"
    if parts.query or parts.fragment:
        return "a URL may not carry a query or fragment"
    if port == 0:
        return "port 0 is not a port"
    host = parts.hostname
    ip = parse_ip(host)
    if ip is not None:
        refused = refusal(ip)
        if refused:
            return f"the host is {refused}, which no connection may reach"
        if scheme == "http" and not ip.is_loopback:
            return "use https (plain http only to a loopback address such as 127.0.0.1)"
        return None
    if not is_host_name(host):
        return f"{host!r} is not a host name"
    if scheme == "http":
        return "use https (plain http only to a loopback address such as 127.0.0.1)"
    return None


async def check_resolved(url: str) -> None:
    """Raises HostNotAllowed when the URL's host resolves to a refused address (link-local,
    cloud metadata). A name that does not resolve is left to the call to report."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parse_ip(host) is not None:
        return  # checked when the URL was
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
    except OSError:
        return
    for info in infos:
        ip = parse_ip(str(info[4][0]))
        reason = refusal(ip) if ip is not None else None
        if reason:
            raise HostNotAllowed(f"{host!r} resolves to a refused address: {reason}.")
