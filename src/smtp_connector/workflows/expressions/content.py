"""Binary content as Logic Apps represents it in JSON: ``{"$content-type": ..., "$content": b64}``.

The runtime keeps binary values (``binary()``, ``base64ToBinary()``, ``dataUriToBinary()``, an
HTTP body that is not JSON) as content objects; printed as JSON they are exactly this shape. We
use the same object as the expression value of binary content, so that it survives storage and
JSON round trips unchanged. Where the runtime reads such a value as text (``string()``,
``concat()``, ``join()``, ``@{...}``) it decodes the bytes with the content type's charset
(UTF-8 by default, undecodable bytes becoming U+FFFD): ``text_of`` does that.
"""

from __future__ import annotations

import base64
import binascii
import codecs
from typing import Any

from smtp_connector.workflows.expressions.errors import ExpressionLimitExceeded
from smtp_connector.workflows.expressions.render import to_text

CONTENT_TYPE = "$content-type"
CONTENT = "$content"
OCTET_STREAM = "application/octet-stream"

_BASE64_WHITESPACE = str.maketrans("", "", " \t\r\n")


class InvalidBase64(ValueError):
    """The text is not base64 (.NET ``Convert.FromBase64String`` rules: whitespace ignored)."""


def decode_base64(text: str) -> bytes:
    """The bytes of ``text``; spaces, tabs and line breaks are ignored, padding is required."""
    compact = text.translate(_BASE64_WHITESPACE)
    try:
        return base64.b64decode(compact.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise InvalidBase64(text) from exc


def encode_base64(data: bytes) -> str:
    """Standard base64 with padding."""
    return base64.b64encode(data).decode("ascii")


def binary_value(data: bytes, content_type: str = OCTET_STREAM) -> dict[str, Any]:
    """The content object holding ``data``."""
    return {CONTENT_TYPE: content_type, CONTENT: encode_base64(data)}


def is_binary(value: Any) -> bool:
    """Whether ``value`` has the shape of a content object (both keys, string values)."""
    return (
        isinstance(value, dict)
        and isinstance(value.get(CONTENT_TYPE), str)
        and isinstance(value.get(CONTENT), str)
    )


def binary_bytes(value: dict[str, Any]) -> bytes:
    """The bytes of a content object; raises ``InvalidBase64`` if ``$content`` is not base64."""
    return decode_base64(value[CONTENT])


def charset_of(content_type: str) -> str:
    """The Python text codec named by the ``charset`` parameter (UTF-8 when absent, unknown, or
    not a text encoding, such as ``base64``)."""
    for parameter in content_type.split(";")[1:]:
        key, _, name = parameter.partition("=")
        if key.strip().lower() == "charset":
            return text_codec(name.strip().strip('"')) or "utf-8"
    return "utf-8"


def text_codec(name: str) -> str | None:
    """The Python name of the text encoding called ``name``, or ``None``."""
    try:
        codec = codecs.lookup(name).name
        b"ab".decode(codec, errors="replace")
    except (LookupError, ValueError):  # ValueError: a name with NUL; UnicodeError is one too
        return None
    return codec


def decode_text(data: bytes, content_type: str) -> str:
    """``data`` as text in the content type's charset, bad bytes as U+FFFD (as .NET does)."""
    codec = charset_of(content_type)
    try:
        return data.decode(codec, errors="replace")
    except ValueError:  # a codec that cannot replace (idna): read the bytes as UTF-8
        return data.decode("utf-8", errors="replace")


def text_of(value: Any) -> str:
    """The text the runtime makes of ``value``: decoded content, else ``render.to_text``.

    Raises ``ExpressionLimitExceeded`` for a value nested too deeply to write as JSON.
    """
    if is_binary(value):
        try:
            return decode_text(binary_bytes(value), value[CONTENT_TYPE])
        except InvalidBase64:
            pass
    try:
        return to_text(value)
    except RecursionError:
        raise ExpressionLimitExceeded("The value is nested too deeply to write as text.") from None


def bytes_of(value: Any) -> bytes:
    """The bytes of a content object, or the UTF-8 encoding of ``text_of(value)``."""
    if is_binary(value):
        try:
            return binary_bytes(value)
        except InvalidBase64:
            pass
    return text_of(value).encode("utf-8", errors="surrogatepass")
