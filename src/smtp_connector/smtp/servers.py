"""Which SMTP servers a connection may name, and which addresses it may reach.

A connection's ``server`` is a host name or an IP address. Two things are decided here, and used
both when a connection is saved (:func:`normalize_server`) and when a session connects
(:mod:`smtp_connector.smtp.dial`, which checks every address a name resolves to):

* **What is an IP address.** The C resolver reads more than dotted quads: ``2130706433``,
  ``0x7f.0.0.1``, ``0177.0.0.1`` and ``127.1`` are all 127.0.0.1 (the ``inet_aton`` forms:
  one to four parts, each decimal, octal with a leading ``0`` or hex with ``0x``; the last part
  fills the bytes left). :func:`parse_ip` reads all of them, IPv6 too (with or without
  ``[...]``), after one trailing dot is dropped. They are stored canonically (``127.0.0.1``),
  so that the operator's allow-list and the logs see the address that is really used.
* **Which addresses are refused** (:func:`refusal`): link-local networks (169.254.0.0/16,
  fe80::/10) and the cloud metadata services (:data:`METADATA`), also when an IPv6 address
  carries one of them inside (IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible ``::a.b.c.d``,
  IPv4-translated ``::ffff:0:a.b.c.d``, NAT64 ``64:ff9b::a.b.c.d`` and 6to4 ``2002:AABB:CCDD::``).
  No setting lifts this: the operator's allow-list only narrows what is allowed.

Loopback and private networks are allowed: the local inbox and many relays live there.
"""

from __future__ import annotations

import ipaddress
import re

__all__ = ["METADATA", "IPAddress", "normalize_server", "parse_ip", "refusal"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA: dict[IPAddress, str] = {
    ipaddress.ip_address("169.254.169.254"): "AWS, GCP, Azure, Oracle, OpenStack and others",
    ipaddress.ip_address("169.254.170.2"): "AWS ECS task metadata",
    ipaddress.ip_address("fd00:ec2::254"): "AWS IPv6",
    ipaddress.ip_address("fd20:ce::254"): "GCP IPv6",
    ipaddress.ip_address("100.100.100.200"): "Alibaba Cloud",
    ipaddress.ip_address("168.63.129.16"): "Azure WireServer",
}
"""The cloud metadata services (and their neighbours) that a connection must not reach."""

_LINK_LOCAL = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10"))
_COMPATIBLE = ipaddress.ip_network("::/96")
_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*$"
)
_NUMBER = re.compile(r"^(?:0[xX][0-9A-Fa-f]*|[0-9]+)$")
_IPV4_PART = re.compile(r"^(?:0[xX][0-9A-Fa-f]+|0[0-7]*|[1-9][0-9]*)$")


def parse_ip(text: str) -> IPAddress | None:
    """The address ``text`` names when the resolver reads it as a number, else None.

    Accepts ``[v6]``, bare IPv6 and every ``inet_aton`` form of IPv4, with one trailing dot.
    """
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    elif text.endswith(".") and ":" not in text:
        text = text[:-1]
    if ":" in text:
        try:
            return ipaddress.IPv6Address(text)
        except ValueError:
            return None
    return _parse_ipv4(text)


def _parse_ipv4(text: str) -> ipaddress.IPv4Address | None:
    """``inet_aton``: 1-4 parts; all but the last are one byte; the last fills the rest."""
    parts = text.split(".")
    if len(text) > 253 or len(parts) > 4 or not all(_IPV4_PART.match(p) for p in parts):
        return None
    numbers = [int(p, _base(p)) for p in parts]
    *head, last = numbers
    if any(n > 0xFF for n in head) or last >= 1 << (8 * (4 - len(head))):
        return None
    value = last
    for index, byte in enumerate(head):
        value |= byte << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _base(part: str) -> int:
    if part[:2].lower() == "0x":
        return 16
    return 8 if part.startswith("0") else 10


def refusal(ip: IPAddress) -> str | None:
    """Why a connection must not reach ``ip`` (a phrase for a message), or None."""
    for candidate in (ip, *_embedded_ipv4(ip)):
        if candidate in METADATA:
            kind = f"a cloud metadata address ({METADATA[candidate]})"
        elif any(candidate in network for network in _LINK_LOCAL):
            kind = "a link-local address"
        else:
            continue
        return kind if candidate is ip else f"an IPv6 form of {candidate}, {kind}"
    return None


def _embedded_ipv4(ip: IPAddress) -> list[ipaddress.IPv4Address]:
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    found = [a for a in (ip.ipv4_mapped, ip.sixtofour) if a is not None]
    unscoped = ipaddress.IPv6Address(int(ip))
    if any(unscoped in network for network in (_COMPATIBLE, _TRANSLATED, _NAT64)):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def is_host_name(text: str) -> bool:
    """Whether ``text`` is an ASCII host name: dot-separated labels of letters, digits, ``-``
    and ``_``, at most 253 characters (no trailing dot)."""
    return text.isascii() and _HOSTNAME.match(text) is not None


def normalize_server(text: str) -> str:
    """The canonical form of a connection's ``server``; raises ValueError saying what is wrong.

    IP addresses in any form become ``ipaddress``'s text (``0x7f.1`` -> ``127.0.0.1``,
    ``[::1]`` -> ``::1``); host names are lower-cased without their trailing dot. Refused:
    link-local and metadata addresses (:func:`refusal`), and names whose last label is a number
    but that are no IPv4 address (``1.2.3.256``), which resolvers read inconsistently.
    """
    text = text.strip()
    ip = parse_ip(text)
    if ip is not None:
        reason = refusal(ip)
        if reason is not None:
            what = reason if reason.startswith("an IPv6") or str(ip) == text else f"{ip}, {reason}"
            raise ValueError(
                f"{text!r} is {what}; connections may not reach link-local or cloud metadata "
                "addresses"
            )
        return str(ip)
    name = text[:-1] if text.endswith(".") else text
    if not is_host_name(name):
        raise ValueError("must be a host name or an IP address")
    if _NUMBER.match(name.rpartition(".")[2]):
        raise ValueError("ends like an IPv4 address but is not a valid one")
    return name.lower()
