"""Encoding conversions: base64, base64ToString, decodeBase64, base64ToBinary, binary, dataUri,
dataUriToString, dataUriToBinary, decodeDataUri, encodeUriComponent, uriComponent,
decodeUriComponent, uriComponentToString, uriComponentToBinary, utf8Length, utf16Length.

Binary values are content objects ``{"$content-type": ..., "$content": <base64>}``, the shape
Logic Apps itself gives them in JSON (see ``content.py``): ``binary('hi')`` is
``{"$content-type": "application/octet-stream", "$content": "aGk="}`` and ``string()`` of it is
``hi`` again. Text is UTF-8 throughout.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, unquote, unquote_to_bytes

from smtp_connector.workflows.expressions.content import (
    CONTENT_TYPE,
    InvalidBase64,
    binary_value,
    bytes_of,
    decode_base64,
    decode_text,
    encode_base64,
    is_binary,
    text_codec,
)
from smtp_connector.workflows.expressions.context import EvaluationContext
from smtp_connector.workflows.expressions.functions.checks import (
    check_length,
    excerpt,
    failure,
    type_error,
    want_str,
)
from smtp_connector.workflows.expressions.functions.registry import Impl, function

_UNRESERVED = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"


def _not_null(name: str, value: Any) -> Any:
    if value is None:
        raise type_error(name, None, "a value that is not null", value)
    return value


def _base64_length(size: int) -> int:
    return (size + 2) // 3 * 4


@function("base64", 1)
def base64(ctx: EvaluationContext, args: Sequence[Any]) -> str:
    """The base64 of the value's UTF-8 text (of the bytes, for binary content)."""
    data = bytes_of(_not_null("base64", args[0]))
    check_length("base64", _base64_length(len(data)))
    return encode_base64(data)


def _decoded(name: str, text: str) -> bytes:
    try:
        return decode_base64(text)
    except InvalidBase64:
        raise failure(
            name,
            f"was invoked with a parameter that is not valid. The value '{excerpt(text)}' is not "
            "a valid base64 string.",
        ) from None


def _base64_to_string(name: str) -> Impl:
    def impl(ctx: EvaluationContext, args: Sequence[Any]) -> str:
        return _decoded(name, want_str(name, args[0], None)).decode("utf-8", errors="replace")

    impl.__doc__ = "The UTF-8 text a base64 string encodes (bad bytes become U+FFFD)."
    return impl


base64_to_string = function("base64ToString", 1)(_base64_to_string("base64ToString"))
decode_base64_ = function("decodeBase64", 1)(_base64_to_string("decodeBase64"))


@function("base64ToBinary", 1)
def base64_to_binary(ctx: EvaluationContext, args: Sequence[Any]) -> dict[str, Any]:
    """The binary content a base64 string encodes."""
    return binary_value(_decoded("base64ToBinary", want_str("base64ToBinary", args[0], None)))


@function("binary", 1)
def binary(ctx: EvaluationContext, args: Sequence[Any]) -> dict[str, Any]:
    """Binary content of the value's UTF-8 text (binary content is returned as it is)."""
    value = _not_null("binary", args[0])
    if is_binary(value):
        return dict(value)
    return binary_value(bytes_of(value))


@function("dataUri", 1)
def data_uri(ctx: EvaluationContext, args: Sequence[Any]) -> str:
    """A ``data:`` URI of the value: text as ``text/plain;charset=utf-8``, binary content with its
    own type, anything else as ``application/json;charset=utf-8``."""
    value = _not_null("dataUri", args[0])
    if is_binary(value):
        content_type = value[CONTENT_TYPE]
    elif isinstance(value, str):
        content_type = "text/plain;charset=utf-8"
    else:
        content_type = "application/json;charset=utf-8"
    data = bytes_of(value)
    check_length("dataUri", len(content_type) + 13 + _base64_length(len(data)))
    return f"data:{content_type};base64,{encode_base64(data)}"


def parse_data_uri(name: str, uri: str) -> tuple[str, bytes]:
    """The content type (``text/plain`` when absent) and bytes of a ``data:`` URI."""
    head, comma, payload = uri.partition(",")
    if head[:5].lower() != "data:" or not comma:
        raise failure(name, f"expects its parameter to be a data URI; '{excerpt(uri)}' is not.")
    parts = head[5:].split(";")
    encoded = parts[-1].lower() == "base64"
    if encoded:
        parts.pop()
    if parts == [""]:
        parts = []
    if parts and (parts[0].count("/") != 1 or any(p.count("=") > 1 for p in parts[1:])):
        raise failure(name, f"was invoked with a data URI '{excerpt(uri)}' that is not valid.")
    content_type = ";".join(parts) or "text/plain"
    _check_charset(name, content_type)
    if encoded:
        return content_type, _decoded(name, payload)
    return content_type, unquote_to_bytes(payload.replace("+", " "))


def _check_charset(name: str, content_type: str) -> None:
    for parameter in content_type.split(";")[1:]:
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "charset" and text_codec(value.strip()) is None:
            raise failure(name, f"cannot decode the charset '{excerpt(value)}'.")


@function("dataUriToString", 1)
def data_uri_to_string(ctx: EvaluationContext, args: Sequence[Any]) -> str:
    """The text a data URI holds, decoded with its charset (UTF-8 by default)."""
    content_type, data = parse_data_uri(
        "dataUriToString", want_str("dataUriToString", args[0], None)
    )
    return decode_text(data, content_type)


def _data_uri_to_binary(name: str) -> Impl:
    def impl(ctx: EvaluationContext, args: Sequence[Any]) -> dict[str, Any]:
        content_type, data = parse_data_uri(name, want_str(name, args[0], None))
        return binary_value(data, content_type)

    impl.__doc__ = "The binary content of a data URI, with the URI's content type."
    return impl


data_uri_to_binary = function("dataUriToBinary", 1)(_data_uri_to_binary("dataUriToBinary"))
decode_data_uri = function("decodeDataUri", 1)(_data_uri_to_binary("decodeDataUri"))


def _encode_component(name: str) -> Impl:
    def impl(ctx: EvaluationContext, args: Sequence[Any]) -> str:
        data = bytes_of(_not_null(name, args[0]))
        kept = len(data) - len(data.translate(None, delete=_UNRESERVED))
        check_length(name, kept + 3 * (len(data) - kept))
        return quote(data, safe="")

    impl.__doc__ = "The value's text with every character but A-Z a-z 0-9 - . _ ~ percent-encoded."
    return impl


encode_uri_component = function("encodeUriComponent", 1)(_encode_component("encodeUriComponent"))
uri_component = function("uriComponent", 1)(_encode_component("uriComponent"))


def _decode_component(name: str) -> Impl:
    def impl(ctx: EvaluationContext, args: Sequence[Any]) -> str:
        return unquote(want_str(name, args[0], None), errors="replace")

    impl.__doc__ = "The text with ``%XX`` sequences decoded as UTF-8 (``+`` stays ``+``)."
    return impl


decode_uri_component = function("decodeUriComponent", 1)(_decode_component("decodeUriComponent"))
uri_component_to_string = function("uriComponentToString", 1)(
    _decode_component("uriComponentToString")
)


@function("uriComponentToBinary", 1)
def uri_component_to_binary(ctx: EvaluationContext, args: Sequence[Any]) -> dict[str, Any]:
    """The binary content of a percent-encoded string."""
    text = want_str("uriComponentToBinary", args[0], None)
    return binary_value(unquote_to_bytes(text))


@function("utf8Length", 1)
def utf8_length(ctx: EvaluationContext, args: Sequence[Any]) -> int:
    """The number of bytes of the string in UTF-8."""
    text = want_str("utf8Length", args[0], None)
    return len(text.encode("utf-8", errors="surrogatepass"))


@function("utf16Length", 1)
def utf16_length(ctx: EvaluationContext, args: Sequence[Any]) -> int:
    """The number of UTF-16 code units of the string (.NET's ``String.Length``)."""
    text = want_str("utf16Length", args[0], None)
    return len(text.encode("utf-16-le", errors="surrogatepass")) // 2
