"""The operator's allow-list of SMTP servers (``SMTP_CONNECTOR_ALLOWED_SMTP_HOSTS``)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from smtp_connector.errors import HostNotAllowed
from smtp_connector.smtp.servers import IPAddress, parse_ip


@dataclass(frozen=True)
class HostAllowList:
    """Host names (``smtp.example.com``), subdomain wildcards (``*.example.com``), IP addresses
    and networks (``10.0.0.0/8``). Empty: every host is allowed.

    Names match the name a connection gives, not where it resolves to; an IP address in any
    form the resolver reads (``0x0a.1.2.3``, ``167838211``, ``[::1]``) matches as that
    address. The list only narrows: it cannot let a connection reach a link-local or cloud
    metadata address (:mod:`smtp_connector.smtp.servers`), even one it names."""

    patterns: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str | None) -> HostAllowList:
        items = (_pattern(p) for p in (text or "").split(","))
        return cls(tuple(p for p in items if p))

    def allows(self, host: str) -> bool:
        if not self.patterns:
            return True
        host = host.strip()
        ip = parse_ip(host)
        if ip is None:
            name = host.lower().removesuffix(".")
            return any(_name_matches(name, p) for p in self.patterns)
        return any(_ip_matches(ip, p) for p in self.patterns)

    def check(self, host: str) -> None:
        """Raises HostNotAllowed."""
        if not self.allows(host):
            raise HostNotAllowed(
                f"The SMTP server {host!r} is not on this installation's allow-list "
                "(SMTP_CONNECTOR_ALLOWED_SMTP_HOSTS)."
            )


def _pattern(item: str) -> str:
    item = item.strip()
    ip = parse_ip(item)
    return str(ip) if ip is not None else item.lower().rstrip(".")


def _name_matches(host: str, pattern: str) -> bool:
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])
    return host == pattern


def _ip_matches(ip: IPAddress, pattern: str) -> bool:
    try:
        return ip in ipaddress.ip_network(pattern, strict=False)
    except ValueError:
        return False
