"""Client-side TLS contexts for SMTP connections.

``client_context`` builds the :class:`ssl.SSLContext` used both for implicit TLS
(``security=tls``) and for the STARTTLS upgrade:

* based on :func:`ssl.create_default_context` (TLS 1.2+, hostname checking, the platform's
  trust store);
* with ``ca_bundle_pem`` given, that PEM text becomes the *only* trust: the platform's trust
  store is not loaded, so a private CA can be pinned;
* with ``verify_certificate=False``, no certificate or host name checks at all (``CERT_NONE``).

Contexts are cached per (verify, bundle): they are immutable after creation and loading the
platform trust store costs a few milliseconds each time.

``handshake_error`` explains a failed handshake (unverifiable certificate, a peer that answered
in clear text, anything else) as ``TlsFailed`` with a hint.
"""

from __future__ import annotations

import ssl
from functools import lru_cache

from smtp_connector.errors import InvalidInput, TlsFailed
from smtp_connector.smtp.diagnose import (
    HINT_PLAIN_PORT,
    HINT_UNVERIFIED_CERT,
    clean_remote_text,
    is_plain_text_answer,
    with_hint,
)
from smtp_connector.smtp.types import SmtpSettings

__all__ = ["check_ca_bundle", "client_context", "handshake_error"]


def client_context(settings: SmtpSettings) -> ssl.SSLContext:
    """The TLS context for ``settings``; raises ``TlsFailed`` when the CA bundle is unusable."""
    return _cached_context(settings.verify_certificate, settings.ca_bundle_pem or None)


def check_ca_bundle(pem: str) -> int:
    """Validate PEM text meant as ``caBundle``; return how many certificates it holds.

    Raises ``InvalidInput`` (field ``caBundle``) when it holds no usable certificate. Useful
    when a connection is created, so that a broken bundle fails early rather than at send time.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cadata=pem)
    except (ssl.SSLError, ValueError, TypeError) as exc:
        raise InvalidInput.field(
            "caBundle", "caBundle is not valid PEM: expected one or more CERTIFICATE blocks."
        ) from exc
    count = int(context.cert_store_stats().get("x509", 0))
    if count == 0:
        raise InvalidInput.field(
            "caBundle", "caBundle holds no certificate: expected one or more CERTIFICATE blocks."
        )
    return count


def handshake_error(error: ssl.SSLError, where: str, *, after_starttls: bool) -> TlsFailed:
    """Why the TLS handshake with ``where`` failed, for a user (``error`` is OpenSSL's)."""
    if isinstance(error, ssl.SSLCertVerificationError):
        detail = clean_remote_text(str(error.verify_message or error.reason or "unknown"))
        if "mismatch" in detail.lower():
            hint = f"connect using a host name the certificate names, or {HINT_UNVERIFIED_CERT}"
        else:
            hint = HINT_UNVERIFIED_CERT
        return with_hint(
            TlsFailed(f"The certificate of {where} could not be verified ({detail}); {hint}."),
            hint,
        )
    if is_plain_text_answer(error):
        if after_starttls:
            hint = "the server answered STARTTLS but did not start TLS; check the server"
        else:
            hint = HINT_PLAIN_PORT
        return with_hint(
            TlsFailed(
                f"The TLS handshake with {where} failed: the server answered in clear text; {hint}."
            ),
            hint,
        )
    reason = clean_remote_text(str(error.reason or type(error).__name__)).lower()
    hint = "check that the server supports TLS 1.2 or newer, and the security setting"
    return with_hint(
        TlsFailed(f"The TLS handshake with {where} failed ({reason}); {hint}."),
        hint,
    )


@lru_cache(maxsize=64)
def _cached_context(verify: bool, ca_bundle_pem: str | None) -> ssl.SSLContext:
    if not verify:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if ca_bundle_pem is None:
        return ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    try:
        return ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata=ca_bundle_pem)
    except (ssl.SSLError, ValueError, TypeError) as exc:
        error = TlsFailed(
            "The CA bundle (caBundle) of this connection is not valid PEM, so the server "
            "certificate cannot be checked. Give one or more PEM CERTIFICATE blocks."
        )
        raise with_hint(error, "fix caBundle (PEM text) or set verifyCertificate=false") from exc
