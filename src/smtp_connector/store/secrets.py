"""Encryption at rest for connection passwords, with a key that never enters the database."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from smtp_connector.errors import ConfigurationError


class SecretBox:
    """Encrypts and decrypts short secrets (Fernet: AES-128-CBC with HMAC-SHA256)."""

    def __init__(self, key: str) -> None:
        self._fernet = Fernet(_as_fernet_key(key))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Raises ConfigurationError when the key is not the one the value was written with."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise ConfigurationError(
                "A stored password cannot be decrypted: SMTP_CONNECTOR_SECRET_KEY "
                "(or the key file) differs from the one it was saved with."
            ) from exc


def _as_fernet_key(key: str) -> bytes:
    """Use a Fernet key as is; derive one from any other passphrase with SHA-256."""
    raw = key.strip().encode("utf-8")
    try:
        if len(base64.urlsafe_b64decode(raw)) == 32:
            return raw
    except ValueError:
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(raw).digest())


def load_or_create_key_file(path: Path) -> str:
    """Read the key file, or create it with mode 0600 on first start."""
    if path.exists():
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise ConfigurationError(
                f"The key file {path} is readable by others (mode {mode:o}); chmod 600 it."
            )
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key + b"\n")
    return key.decode("ascii")
