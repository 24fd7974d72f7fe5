"""Fixtures shared by every test: the in-process SMTP server and its certificates.

    def test_send(smtp_server_factory, tls_ca):
        server = smtp_server_factory(mode="starttls", users={"alice": "pw"})   # started
        settings = server.settings(username="alice", password="pw")          # SmtpSettings
        ...
        assert server.messages[0].rcpt_tos == ("bob@example.com",)

Every server made here is stopped at teardown (threads joined, sockets closed), and a test fails
if the server itself hit an unexpected exception.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from support.certs import CertAuthority
from support.db import fresh_database
from support.smtp_server import NotSmtpServer, SmtpTestServer

SmtpServerFactory = Callable[..., SmtpTestServer]


@pytest.fixture(scope="session")
def tls_ca() -> CertAuthority:
    """The CA tests trust: pass ``tls_ca.ca_pem`` as ``ca_bundle_pem``."""
    return CertAuthority("smtp-connector trusted test CA")


@pytest.fixture(scope="session")
def untrusted_ca() -> CertAuthority:
    """A second CA that no client is told about (certificate verification failures)."""
    return CertAuthority("smtp-connector untrusted test CA")


@pytest.fixture
def smtp_server_factory(tls_ca: CertAuthority) -> Iterator[SmtpServerFactory]:
    """``factory(**SmtpTestServer kwargs) -> started server``.

    For ``mode="starttls"``/``"tls"`` the certificate comes from ``tls_ca`` unless
    ``tls_context`` is given; pass ``ca=untrusted_ca`` to serve a certificate from another CA.
    """
    servers: list[SmtpTestServer] = []

    def factory(*, ca: CertAuthority | None = None, **kwargs: Any) -> SmtpTestServer:
        authority = ca or tls_ca
        if kwargs.get("mode", "plain") != "plain":
            kwargs.setdefault("tls_context", authority.server_context())
            kwargs.setdefault("ca_pem", authority.ca_pem)
        server = SmtpTestServer(**kwargs)
        servers.append(server)
        server.start()
        return server

    yield factory
    errors = []
    for server in servers:
        server.stop()
        errors.extend(server.errors)
    assert not errors, f"the test SMTP server failed: {errors!r}"


@pytest.fixture
def smtp_server(smtp_server_factory: SmtpServerFactory) -> SmtpTestServer:
    """A plain SMTP server (no TLS, no AUTH) that accepts everything: ``security=none``."""
    return smtp_server_factory()


@pytest.fixture
def not_smtp_server() -> Iterator[NotSmtpServer]:
    """A port that answers ``HTTP/1.1 400 Bad Request`` and closes."""
    with NotSmtpServer() as server:
        yield server


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port on 127.0.0.1 that refuses connections (bound, never listening, held by the test)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: SQLite, or each engine where a module parametrizes it with
    ``pytest.mark.parametrize("database_url", ENGINES, indirect=True)`` (PostgreSQL: a new
    database, dropped afterwards)."""
    with fresh_database(getattr(request, "param", "sqlite"), tmp_path) as url:
        yield url
