"""Connecting to a checked address: every resolved address is checked, the socket goes to one of
them, and TLS still verifies the certificate against the name (F12).

Tests cannot add DNS records, so most tests replace the resolver (``dial.lookup``, the seam the
connector uses for every session); the real resolver is used for ``localhost``.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence

import pytest

from smtp_connector.errors import AddressNotAllowed, ConnectFailed, TlsFailed
from smtp_connector.mail.message import Envelope
from smtp_connector.smtp import dial
from smtp_connector.smtp.client import deliver, probe
from smtp_connector.smtp.dial import AddrInfo
from smtp_connector.smtp.pool import SmtpPool
from smtp_connector.smtp.types import Security, SmtpSettings
from support.certs import CertAuthority
from support.smtp_server import SmtpTestServer

Factory = Callable[..., SmtpTestServer]
ENVELOPE = Envelope("sender@example.com", ("bob@example.com",))
DATA = b"Subject: hi\r\n\r\nhello\r\n"


def info(address: str, port: int) -> AddrInfo:
    if ":" in address:
        return (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port, 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))


def plain(host: str, port: int) -> SmtpSettings:
    return SmtpSettings(host=host, port=port, security=Security.NONE, timeout_seconds=5.0)


class FakeDns:
    """A resolver with fixed answers that remembers every question."""

    def __init__(self, records: dict[str, Sequence[str]]) -> None:
        self.records = records
        self.questions: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> list[AddrInfo]:
        self.questions.append((host, port))
        if host not in self.records:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [info(address, port) for address in self.records[host]]


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDns:
    fake = FakeDns({})
    monkeypatch.setattr(dial, "lookup", fake)
    return fake


REFUSED = ["169.254.169.254", "169.254.10.1", "fe80::1", "::ffff:169.254.169.254",
           "fd00:ec2::254", "100.100.100.200"]  # fmt: skip


@pytest.mark.parametrize("refused", REFUSED)
async def test_a_name_resolving_to_a_refused_address_is_never_connected_to(
    smtp_server: SmtpTestServer, dns: FakeDns, refused: str
) -> None:
    # One good address does not make up for a bad one: the name is not used at all.
    dns.records["mail.example.test"] = ["127.0.0.1", refused]

    with pytest.raises(AddressNotAllowed) as caught:
        await probe(smtp_server.settings(host="mail.example.test"))

    error = caught.value
    assert error.code == "address_not_allowed"
    assert error.retryable is False
    assert error.hint is not None and "metadata" in error.hint
    assert "'mail.example.test' resolves to" in error.message
    assert "link-local and cloud metadata addresses are never" in error.message
    assert dns.questions == [("mail.example.test", smtp_server.port)]
    assert smtp_server.sessions == []  # no connection at all, not even to 127.0.0.1


async def test_delivery_and_the_pool_refuse_it_too(
    smtp_server: SmtpTestServer, dns: FakeDns
) -> None:
    dns.records["metadata.google.internal"] = ["169.254.169.254"]
    settings = smtp_server.settings(host="metadata.google.internal")

    with pytest.raises(AddressNotAllowed):
        await deliver(settings, ENVELOPE, DATA)
    pool = SmtpPool()
    try:
        with pytest.raises(AddressNotAllowed):
            await pool.deliver(settings, ENVELOPE, DATA)
        assert pool.stats()["opened"] == 0
    finally:
        await pool.close()
    assert smtp_server.sessions == []


@pytest.mark.parametrize("host", ["2852039166", "0xa9.0xfe.0xa9.0xfe", "169.254.169.254."])
async def test_a_stored_numeric_form_is_refused_without_a_lookup(
    smtp_server: SmtpTestServer, dns: FakeDns, host: str
) -> None:
    """Connections saved before the create-time check still cannot reach the address."""
    with pytest.raises(AddressNotAllowed, match=r"169\.254\.169\.254"):
        await probe(smtp_server.settings(host=host))
    assert dns.questions == []


async def test_a_stored_numeric_loopback_form_connects_to_that_address(
    smtp_server: SmtpTestServer, dns: FakeDns
) -> None:
    caps = await probe(smtp_server.settings(host="2130706433"))
    assert caps.tls is False
    assert len(smtp_server.sessions) == 1
    assert dns.questions == []


@pytest.mark.parametrize("mode", ["tls", "starttls"])
async def test_connects_to_the_checked_address_and_verifies_the_name(
    smtp_server_factory: Factory, tls_ca: CertAuthority, dns: FakeDns, mode: str
) -> None:
    # The certificate names mx.test only: not 127.0.0.1, where the socket really goes.
    server = smtp_server_factory(mode=mode, tls_context=tls_ca.server_context(["mx.test"]))
    dns.records["mx.test"] = ["127.0.0.1"]

    caps = await probe(server.settings(host="mx.test"))

    assert caps.tls is True
    assert dns.questions == [("mx.test", server.port)]  # resolved once, that answer used
    [session] = server.sessions
    assert session.tls is True


@pytest.mark.parametrize("mode", ["tls", "starttls"])
async def test_the_certificate_is_still_checked_against_the_name(
    smtp_server_factory: Factory, tls_ca: CertAuthority, dns: FakeDns, mode: str
) -> None:
    server = smtp_server_factory(mode=mode, tls_context=tls_ca.server_context(["mx.test"]))
    dns.records["other.test"] = ["127.0.0.1"]

    with pytest.raises(TlsFailed, match="could not be verified"):
        await probe(server.settings(host="other.test"))


async def test_the_next_address_is_tried_when_one_refuses(
    smtp_server: SmtpTestServer, dns: FakeDns
) -> None:
    dns.records["mx.test"] = ["::1", "127.0.0.1"]  # nothing listens on [::1] at that port

    await probe(smtp_server.settings(host="mx.test"))

    assert len(smtp_server.sessions) == 1


async def test_when_every_address_refuses_the_error_says_so(dns: FakeDns, closed_port: int) -> None:
    dns.records["mx.test"] = ["::1", "127.0.0.1"]
    settings = plain("mx.test", closed_port)

    with pytest.raises(ConnectFailed, match="connection refused"):
        await probe(settings)


async def test_an_unknown_name_is_a_resolution_error(dns: FakeDns, closed_port: int) -> None:
    settings = plain("nowhere.test", closed_port)
    with pytest.raises(ConnectFailed, match="could not be resolved"):
        await probe(settings)


@pytest.mark.parametrize("security", [Security.TLS, Security.STARTTLS])
async def test_localhost_resolves_for_real_and_tls_checks_the_name(
    smtp_server_factory: Factory,
    tls_ca: CertAuthority,
    monkeypatch: pytest.MonkeyPatch,
    security: Security,
) -> None:
    mode = "tls" if security is Security.TLS else "starttls"
    server = smtp_server_factory(mode=mode, tls_context=tls_ca.server_context(["localhost"]))
    answers: list[list[str]] = []
    real_lookup = dial.lookup

    async def watched(host: str, port: int) -> Sequence[AddrInfo]:
        found = await real_lookup(host, port)
        answers.append([entry[4][0] for entry in found])
        return found

    monkeypatch.setattr(dial, "lookup", watched)

    caps = await probe(server.settings(host="localhost"))

    assert caps.tls is True
    assert len(answers) == 1 and "127.0.0.1" in answers[0]
    # The same server by its address: the certificate does not name it, so verification fails.
    with pytest.raises(TlsFailed, match="could not be verified"):
        await probe(server.settings(host="127.0.0.1"))
