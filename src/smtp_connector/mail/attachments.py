"""The ``Attachments`` (or built-in ``attachment``) array of a Send Email body → ``Attachment``s.

Each item is an object with case-insensitive keys ``ContentData`` (required), ``ContentType``,
``ContentTransferEncoding`` (see ``mail.content_data``), ``FileName`` and ``ContentId``.

A ``FileName`` keeps its base name only, and is refused when it holds a Unicode format character
(category Cf: the bidirectional controls that can show ``invoice<U+202E>fdp.exe`` as
``invoiceexe.pdf``, zero-width characters...). Two attachments cannot have the same ``ContentId``
(compared without angle brackets, ignoring case): a ``cid:`` reference must name one attachment.

Limits are checked before anything is decoded: the number of attachments (400), each
attachment's estimated decoded size (``len * 3 // 4``) against the per-file cap, and the
estimated total with the bodies against the message cap (413). The exact sizes are checked again
after decoding.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata

from smtp_connector.errors import FieldProblem, InvalidInput, PayloadTooLarge
from smtp_connector.mail.content_data import decode_content_data
from smtp_connector.mail.fields import read_fields
from smtp_connector.mail.limits import Limits
from smtp_connector.mail.message import Attachment

__all__ = ["check_total_size", "estimate_size", "parse_attachments"]

_NAMES = ("ContentData", "ContentType", "ContentTransferEncoding", "FileName", "ContentId")
FIELDS = {name.lower(): name for name in _NAMES}
MAX_FILENAME_CHARS = 255
MAX_CONTENT_TYPE_CHARS = 500
MAX_CONTENT_ID_CHARS = 250
_OCTET_STREAM = "application/octet-stream"
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"  # noqa: S105 (an RFC 2045 token, not a password)
_QUOTED = r'"(?:[^"\\\x00-\x1f\x7f-\U0010ffff]|\\[\x20-\x7e])*"'
_CONTENT_TYPE = re.compile(
    rf"{_TOKEN}/{_TOKEN}(?:[ \t]*;[ \t]*{_TOKEN}=(?:{_TOKEN}|{_QUOTED}))*[ \t]*;?", re.ASCII
)
_CONTENT_ID = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.@-]+")
_PATH_SEPARATOR = re.compile(r"[/\\]")


def estimate_size(data: str) -> int:
    """Rough decoded size of ``ContentData`` before decoding it: ``len * 3 // 4``."""
    return len(data) * 3 // 4


def _too_large(field: str, message: str) -> PayloadTooLarge:
    return PayloadTooLarge(message, [FieldProblem(field, message)])


def _label(index: int, fields: dict[str, object]) -> str:
    name = fields.get("FileName")
    if isinstance(name, str) and name.strip() and not _CONTROL.search(name):
        return f"attachment {name.strip()[:100]!r}"
    return f"attachment Attachments[{index}]"


def _items(value: list[object]) -> list[dict[str, object] | None]:
    """Each item's fields by canonical name (None for an item that is not an object)."""
    return [read_fields(i, FIELDS, "", []) if isinstance(i, dict) else None for i in value]


def _precheck(items: list[dict[str, object] | None], limits: Limits, body_bytes: int) -> None:
    """Estimated sizes, before any decoding."""
    total = body_bytes
    for index, fields in enumerate(items):
        data = None if fields is None else fields.get("ContentData")
        if fields is None or not isinstance(data, str):
            continue
        size = estimate_size(data)
        if size > limits.max_attachment_bytes:
            raise _too_large(
                f"Attachments[{index}].ContentData",
                f"The {_label(index, fields)} is about {size:,} bytes; the limit is "
                f"{limits.max_attachment_bytes:,} bytes per attachment.",
            )
        total += size
    if total > limits.max_message_bytes:
        raise _too_large(
            "Attachments",
            f"The message with its attachments is about {total:,} bytes; the limit is "
            f"{limits.max_message_bytes:,} bytes.",
        )


def check_total_size(attachments: tuple[Attachment, ...], body_bytes: int, limits: Limits) -> None:
    """PayloadTooLarge when the bodies and decoded attachments pass the message cap."""
    total = body_bytes + sum(len(a.data) for a in attachments)
    if total > limits.max_message_bytes:
        raise _too_large(
            "Attachments",
            f"The message with its attachments is {total:,} bytes; the limit is "
            f"{limits.max_message_bytes:,} bytes.",
        )


def parse_attachments(
    value: object, *, limits: Limits, body_bytes: int, problems: list[FieldProblem]
) -> tuple[Attachment, ...]:
    """Validated, decoded attachments; field problems are appended to ``problems``.

    Raises InvalidInput at once when there are too many attachments, and PayloadTooLarge when an
    attachment or the whole message is over its cap (``body_bytes`` counts the bodies).
    """
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append(FieldProblem("Attachments", "Attachments must be a list of objects."))
        return ()
    if len(value) > limits.max_attachments:
        message = (
            f"{len(value)} attachments were given; at most {limits.max_attachments} are allowed."
        )
        raise InvalidInput(message, [FieldProblem("Attachments", message)])
    items = _items(value)
    _precheck(items, limits, body_bytes)
    out: list[Attachment] = []
    for index, (raw, fields) in enumerate(zip(value, items, strict=True)):
        path = f"Attachments[{index}]"
        if fields is None:
            problems.append(FieldProblem(path, "Each attachment must be an object."))
            continue
        before = len(problems)
        read_fields(raw, FIELDS, path + ".", problems)  # reports unknown and repeated keys
        attachment = _attachment(index, fields, problems)
        if attachment is None or len(problems) > before:
            continue
        if len(attachment.data) > limits.max_attachment_bytes:
            raise _too_large(
                f"{path}.ContentData",
                f"The {_label(index, fields)} is {len(attachment.data):,} bytes; "
                f"the limit is {limits.max_attachment_bytes:,} bytes per attachment.",
            )
        out.append(attachment)
    _repeated_content_ids(items, problems)
    return tuple(out)


def _repeated_content_ids(
    items: list[dict[str, object] | None], problems: list[FieldProblem]
) -> None:
    """A problem for each ContentId that an earlier attachment has already (case ignored)."""
    first: dict[str, int] = {}
    for index, fields in enumerate(items):
        field = f"Attachments[{index}].ContentId"
        value = None if fields is None else fields.get("ContentId")
        content_id = None if value is None else _content_id(value, field, [])
        if content_id is None:
            continue
        if content_id.lower() not in first:
            first[content_id.lower()] = index
            continue
        message = (
            f"ContentId {content_id!r} is already the ContentId of "
            f"Attachments[{first[content_id.lower()]}]; a cid: reference must name one attachment."
        )
        problems.append(FieldProblem(field, message))


def _attachment(
    index: int, fields: dict[str, object], problems: list[FieldProblem]
) -> Attachment | None:
    path = f"Attachments[{index}]"
    filename = _filename(fields.get("FileName"), f"{path}.FileName", problems)
    content_type = _content_type(fields.get("ContentType"), f"{path}.ContentType", problems)
    content_id = _content_id(fields.get("ContentId"), f"{path}.ContentId", problems)
    name = f"{path}.ContentTransferEncoding"
    encoding = (_optional_text(fields.get("ContentTransferEncoding"), name, problems) or "").lower()
    data = decode_content_data(
        fields.get("ContentData"), encoding, path, _label(index, fields), problems
    )
    if data is None:
        return None
    return Attachment(data, content_type or _guess_type(filename), filename, content_id)


def _optional_text(value: object, field: str, problems: list[FieldProblem]) -> str | None:
    """A stripped optional string: None when absent or blank, problems for non-strings."""
    if value is None:
        return None
    name = field.rpartition(".")[2]
    if not isinstance(value, str) or _CONTROL.search(value):
        wrong = "contains a line break or control character" if isinstance(value, str) else ""
        problems.append(FieldProblem(field, f"{name} {wrong or 'must be a string'}."))
        return None
    return value.strip() or None


def _filename(value: object, field: str, problems: list[FieldProblem]) -> str | None:
    """The file name without any folder part (``../../etc/passwd`` → ``passwd``)."""
    name = _optional_text(value, field, problems)
    if name is None:
        return None
    hidden = _format_character(name)
    if hidden is not None:
        message = (
            f"FileName contains the invisible formatting character {hidden}, which can disguise "
            "a file's name and type (as in 'invoice<U+202E>fdp.exe', shown as 'invoiceexe.pdf')."
        )
        problems.append(FieldProblem(field, message))
        return None
    base = _PATH_SEPARATOR.split(name)[-1].strip()
    if base in ("", ".", ".."):
        problems.append(
            FieldProblem(field, f"FileName {name[:100]!r} has no file name after its folder part.")
        )
        return None
    if len(base) > MAX_FILENAME_CHARS:
        problems.append(
            FieldProblem(field, f"FileName is longer than {MAX_FILENAME_CHARS} characters.")
        )
        return None
    return base


def _format_character(text: str) -> str | None:
    """``U+XXXX (NAME)`` of the first Unicode format character (category Cf) in ``text``, such as
    the bidirectional controls U+202A-U+202E and U+2066-U+2069 or U+200E, U+200F, U+FEFF."""
    if text.isprintable():  # format characters are never printable: the usual case, at C speed
        return None
    for char in text:
        if unicodedata.category(char) == "Cf":
            return f"U+{ord(char):04X} ({unicodedata.name(char, 'unnamed')})"
    return None


def _content_type(value: object, field: str, problems: list[FieldProblem]) -> str | None:
    text = _optional_text(value, field, problems)
    if text is None:
        return None
    if len(text) > MAX_CONTENT_TYPE_CHARS or not _CONTENT_TYPE.fullmatch(text):
        wrong = "must be a MIME type such as 'application/pdf' or 'text/plain; charset=utf-8'"
    elif text.lower().startswith("multipart/"):
        wrong = "cannot be multipart/* for an attachment"
    else:
        return text
    problems.append(FieldProblem(field, f"ContentType {wrong}."))
    return None


def _content_id(value: object, field: str, problems: list[FieldProblem]) -> str | None:
    text = _optional_text(value, field, problems)
    if text is None:
        return None
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    if text and len(text) <= MAX_CONTENT_ID_CHARS and _CONTENT_ID.fullmatch(text):
        return text
    message = "ContentId must be a token such as 'logo' or 'logo@example.com', optionally in <>."
    problems.append(FieldProblem(field, message))
    return None


def _guess_type(filename: str | None) -> str:
    if filename is None:
        return _OCTET_STREAM
    guessed, encoding = mimetypes.guess_type(filename)
    return guessed if guessed is not None and encoding is None else _OCTET_STREAM
