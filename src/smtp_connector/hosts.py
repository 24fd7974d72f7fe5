"""The operator's allow-list of SMTP servers (``SMTP_CONNECTOR_ALLOWED_SMTP_HOSTS``)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from smtp_connector.errors import HostNotAllowed


@dataclass(frozen=True)
class HostAllowList:
    """Host names (``smtp.example.com``), subdomain wildcards (``*.example.com``), IP addresses
    and networks (``10.0.0.0/8``). Empty: every host is allowed. Names are compared as written;
    where a name resolves to is not checked."""

    patterns: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str | None) -> HostAllowList:
        items = (p.strip().lower().rstrip(".") for p in (text or "").split(","))
        return cls(tuple(p for p in items if p))

    def allows(self, host: str) -> bool:
        if not self.patterns:
            return True
        host = host.strip("[]").lower().rstrip(".")
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return any(_name_matches(host, p) for p in self.patterns)
        return any(_ip_matches(ip, p) for p in self.patterns)

    def check(self, host: str) -> None:
        """Raises HostNotAllowed."""
        if not self.allows(host):
            raise HostNotAllowed(
                f"The SMTP server {host!r} is not on this installation's allow-list "
                "(SMTP_CONNECTOR_ALLOWED_SMTP_HOSTS)."
            )


def _name_matches(host: str, pattern: str) -> bool:
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])
    return host == pattern


def _ip_matches(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, pattern: str) -> bool:
    try:
        return ip in ipaddress.ip_network(pattern, strict=False)
    except ValueError:
        return False
