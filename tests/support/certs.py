"""Test certificates from ``trustme``: a CA whose PEM a client can trust, and server contexts."""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import Sequence

import trustme

DEFAULT_IDENTITIES = ("127.0.0.1", "localhost", "mx.test")


class CertAuthority:
    """One throw-away CA. Give ``ca_pem`` to a client as ``ca_bundle_pem`` to trust it.

    A second instance is a CA the client does *not* trust (for verification failures).
    """

    def __init__(self, organization: str = "smtp-connector tests") -> None:
        self._ca = trustme.CA(organization_name=organization)
        self.ca_pem: str = self._ca.cert_pem.bytes().decode("ascii")
        self._contexts: dict[tuple[tuple[str, ...], bool], ssl.SSLContext] = {}

    def server_context(
        self,
        identities: Sequence[str] = DEFAULT_IDENTITIES,
        *,
        expired: bool = False,
    ) -> ssl.SSLContext:
        """A server-side context with a leaf certificate for ``identities`` (cached)."""
        key = (tuple(identities), expired)
        context = self._contexts.get(key)
        if context is None:
            if expired:
                now = dt.datetime.now(dt.UTC)
                leaf = self._ca.issue_cert(
                    *identities,
                    not_before=now - dt.timedelta(days=30),
                    not_after=now - dt.timedelta(days=1),
                )
            else:
                leaf = self._ca.issue_cert(*identities)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            leaf.configure_cert(context)
            self._contexts[key] = context
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context trusting only this CA (for tests that talk TLS without the client)."""
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        self._ca.configure_trust(context)
        return context
