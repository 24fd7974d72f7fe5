"""An attachment's ``ContentData`` → bytes, following its ``ContentTransferEncoding``.

- ``base64``: strict base64; whitespace and line breaks are removed first, then anything outside
  the base64 alphabet or with wrong padding is an error naming the attachment.
- ``none``: the text itself, stored as UTF-8.
- absent (or empty): **if the text, once its line breaks (CR, LF) are removed, is non-empty, a
  multiple of 4 characters long, made only of the base64 alphabet with correct ``=`` padding,
  it is decoded as base64; otherwise it is taken as-is (UTF-8)**. Text holding a space or a tab
  is therefore always taken as-is. Short words such as ``"Test"`` are valid base64 and are
  decoded: send ``ContentTransferEncoding: "none"`` to be explicit.

Every step is one linear pass in C (``isascii``, ``translate``, ``a2b_base64``, ``encode``).
"""

from __future__ import annotations

import binascii

from smtp_connector.errors import FieldProblem

__all__ = ["decode_content_data"]

_WHITESPACE = b" \t\r\n\v\f"


def decode_content_data(
    data: object, encoding: str, path: str, label: str, problems: list[FieldProblem]
) -> bytes | None:
    """The decoded ``data`` of attachment ``path`` (``label`` names it in messages).

    ``encoding`` is the lower-cased ContentTransferEncoding (``""`` when absent); problems are
    appended to ``problems`` and None is returned.
    """
    if encoding not in ("", "base64", "none"):
        message = "ContentTransferEncoding must be 'base64' or 'none' (or left out)."
        problems.append(FieldProblem(f"{path}.ContentTransferEncoding", message))
        return None
    if not isinstance(data, str):
        wrong = "is required" if data is None else "must be a string"
    elif encoding == "base64":
        decoded = _strict_base64(data, _WHITESPACE)
        if decoded is not None:
            return decoded
        wrong = "is not valid base64"
    else:
        decoded = None if encoding else _strict_base64(data, b"\r\n")
        if decoded is not None and data.strip():
            return decoded
        try:
            return data.encode("utf-8")
        except UnicodeEncodeError:
            wrong = "holds invalid Unicode text"
    problems.append(FieldProblem(f"{path}.ContentData", f"ContentData of the {label} {wrong}."))
    return None


def _strict_base64(text: str, ignored: bytes) -> bytes | None:
    """``text`` decoded as strict base64 once ``ignored`` bytes are removed, else None."""
    if not text.isascii():
        return None
    data = text.encode("ascii").translate(None, ignored)
    if len(data) % 4:
        return None
    try:
        return binascii.a2b_base64(data, strict_mode=True)
    except binascii.Error:
        return None
