"""The Send Email body (Logic Apps V3 or built-in shape) → a validated ``Email``.

Both shapes are accepted unchanged: keys are case-insensitive, so the V3 PascalCase body
(``From``, ``IsHtml``, ``Attachments``...) and the built-in camelCase body (``from``, ``isHTML``,
``attachment``...) read the same; ``attachment`` and ``attachments`` are one field. Beyond Azure:
``ReplyTo`` (address list), ``TextBody`` (the plain-text alternative of an HTML body) and
``Headers`` (custom header name → value). Unknown keys are errors, so a typo is never ignored.

Every field problem is collected and raised as one ``InvalidInput``; field paths use the V3
names (``To``, ``Attachments[2].ContentData``, ``Headers.X-Foo``). A JSON ``null`` or, for an
optional text field, an empty string counts as absent. Address lists split at ``;`` and ``,``
(see ``mail.addresses``). ``Subject`` is at most 2,000 characters, one line (TAB allowed).
``IsHtml`` is a JSON boolean or the string ``"true"``/``"false"`` (any case); when it is absent
the first 64 KB of the body are sniffed for common HTML tags (``looks_like_html``). ``ReplyTo``
holds at most 10 addresses; ``Headers`` at most 50 one-line values of at most 998 characters, and
never a header that the connector sets or that changes routing (From, To, Cc, Bcc, Subject, Date,
Message-ID, MIME-Version, Content-*, Sender, Reply-To, Return-Path, Received, Importance,
X-Priority, X-MSMail-Priority, Disposition-Notification-To, Return-Receipt-To, DKIM-Signature).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from smtp_connector.errors import FieldProblem, InvalidInput
from smtp_connector.mail.addresses import (
    MAX_ITEM_CHARS,
    dedupe,
    parse_address,
    split_address_list,
)
from smtp_connector.mail.attachments import check_total_size, parse_attachments
from smtp_connector.mail.fields import read_fields, shown_key
from smtp_connector.mail.limits import Limits
from smtp_connector.mail.message import Address, Email, Importance

__all__ = ["MAX_SUBJECT_CHARS", "SNIFF_CHARS", "looks_like_html", "parse_send_request"]

MAX_SUBJECT_CHARS = 2000
MAX_REPLY_TO = 10
MAX_HEADERS = 50
MAX_HEADER_VALUE_CHARS = 998
_ORDER = (
    "From", "To", "CC", "Bcc", "ReplyTo", "Subject", "Body", "TextBody", "IsHtml",
    "Importance", "ReadReceipt", "DeliveryReceipt", "Attachments", "Headers",
)  # fmt: skip
_FIELDS = {name.lower(): name for name in _ORDER}
_FIELDS["attachment"] = "Attachments"
T = TypeVar("T")
# One-line text: C0 controls except TAB, DEL, C1 controls (NEL), U+2028/U+2029, lone surrogates.
_LINE_BREAKING = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_BODY_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")
_ONE_LINE = "it must be one line of text without control characters"
_NO_NUL = "it cannot hold NUL characters or invalid Unicode (lone surrogates)"
_HEADER_NAME = re.compile(r"[!-9;-~]{1,76}")
# Linear: no match can hold a '<' past its first character, so the runs that one start may scan
# never overlap those of another; and within a run, '[^<>=]*' stops at the first '=', so the
# engine never tries every split of the run around an '=' (which made it quadratic).
_HTML = re.compile(
    r"<!doctype\s+html"
    r"|<(?:html|head|body|p|br|hr|div|span|table|thead|tbody|tr|td|th|b|i|u|em|strong|img|font"
    r"|center|style|h[1-6]|ul|ol|li|blockquote|pre|code)"
    r"(?:\s*/?>|\s[^<>=]*=[^<>]*>)"
    r"|<a\s[^<>]*\bhref\s*="
    r"|</[a-z][a-z0-9]*\s*>",
    re.IGNORECASE,
)
SNIFF_CHARS = 64 * 1024
"""How much of a body ``looks_like_html`` reads: HTML shows itself long before that."""
_HEADER_FIELDS = {
    "from": "From", "to": "To", "cc": "CC", "bcc": "Bcc", "subject": "Subject",
    "reply-to": "ReplyTo", "importance": "Importance", "x-priority": "Importance",
    "x-msmail-priority": "Importance", "disposition-notification-to": "ReadReceipt",
    "return-receipt-to": "DeliveryReceipt",
}  # fmt: skip
# Set by the composer or by mail servers, or changing who the message is from.
_RESERVED_HEADERS = frozenset(
    ("date", "message-id", "mime-version", "sender", "return-path", "received", "dkim-signature")
)


def looks_like_html(body: str) -> bool:
    """True when the first ``SNIFF_CHARS`` of ``body`` hold a common HTML tag, a closing tag or a
    doctype; the time taken is linear in that, and never more than a few milliseconds.

    ``a < b and c > d`` and ``<user@example.com>`` are not HTML.
    """
    return _HTML.search(body, 0, SNIFF_CHARS) is not None


def parse_send_request(
    payload: object, *, limits: Limits, default_from: str | None = None
) -> Email:
    """Validate a Send Email body; raises InvalidInput (400) or PayloadTooLarge (413).

    Limits are checked before the expensive work: more than twice ``max_recipients`` addresses
    (counting repeats) are refused before any is parsed, and attachment count and sizes before
    any is decoded. ``default_from`` is the sender when the body has no From.
    """
    if not isinstance(payload, dict):
        raise InvalidInput.field("body", "The request body must be a JSON object.")
    problems: list[FieldProblem] = []
    fields = read_fields(payload, _FIELDS, "", problems)
    # Repeats count here: more than twice the cap is refused before any address is parsed, and
    # text too long to hold that many items is refused before it is even split.
    most = 2 * limits.max_recipients
    lists = [fields.get(name) for name in ("To", "CC", "Bcc")]
    if sum(map(_chars, lists)) > most * (MAX_ITEM_CHARS + 2):
        raise _too_many_recipients(None, limits)
    raw = {name: _split(fields.get(name), name, problems) for name in ("To", "CC", "Bcc")}
    given = sum(map(len, raw.values()))
    if given > most:
        raise _too_many_recipients(given, limits)
    subject = _text(fields, "Subject", problems, _LINE_BREAKING, _ONE_LINE)
    if subject is not None and len(subject) > MAX_SUBJECT_CHARS:
        problems.append(
            FieldProblem("Subject", f"Subject is longer than {MAX_SUBJECT_CHARS} characters.")
        )
    body = _text(fields, "Body", problems, _BODY_FORBIDDEN, _NO_NUL) or ""
    text_body = _text(fields, "TextBody", problems, _BODY_FORBIDDEN, _NO_NUL)
    body_bytes = _octets(body) + _octets(text_body or "")
    attachments = parse_attachments(
        fields.get("Attachments"), limits=limits, body_bytes=body_bytes, problems=problems
    )
    sender = _one_address(fields, "From", problems)
    if sender is None and "From" not in {p.field for p in problems}:
        if default_from is None:
            problems.append(FieldProblem("From", "From is required."))
        else:
            sender = _one_address({"From": default_from}, "From", problems)
    to, cc, bcc = dedupe(*(_addresses(raw[name], name, problems) for name in ("To", "CC", "Bcc")))
    count = len(to) + len(cc) + len(bcc)
    if count == 0 and not any(p.field in raw for p in problems):
        problems.append(FieldProblem("To", "At least one recipient is required in To, CC or Bcc."))
    elif count > limits.max_recipients:
        problems.append(_too_many_recipients(count, limits).problems[0])
    reply_to = _reply_to(fields.get("ReplyTo"), problems)
    is_html = _is_html(fields.get("IsHtml"), body, problems)
    importance = _importance(fields.get("Importance"), problems)
    read_receipt = _one_address(fields, "ReadReceipt", problems)
    delivery_receipt = _one_address(fields, "DeliveryReceipt", problems)
    headers = _headers(fields.get("Headers"), problems)
    if problems or sender is None:
        raise InvalidInput("The request is invalid.", sorted(problems, key=_position))
    check_total_size(attachments, body_bytes, limits)
    return Email(
        sender=sender,
        to=to,
        cc=cc,
        bcc=bcc,
        reply_to=reply_to,
        subject=subject or "",
        body=body,
        is_html=is_html,
        text_body=text_body,
        importance=importance,
        read_receipt=read_receipt,
        delivery_receipt=delivery_receipt,
        attachments=attachments,
        headers=headers,
    )


def _position(problem: FieldProblem) -> int:
    """Sort key putting problems in the order of the fields, unknown keys first."""
    name = re.split(r"[.\[]", problem.field, maxsplit=1)[0]
    return _ORDER.index(name) if name in _ORDER else -1


def _chars(value: object) -> int:
    """Length of an address list value (a string or the strings of a list)."""
    if isinstance(value, list):
        return sum(len(v) for v in value if isinstance(v, str))
    return len(value) if isinstance(value, str) else 0


def _too_many_recipients(count: int | None, limits: Limits) -> InvalidInput:
    given = "More recipients than that were" if count is None else f"{count} recipients were"
    message = f"{given} given in To, CC and Bcc; at most {limits.max_recipients} are allowed."
    return InvalidInput(message, [FieldProblem("To", message)])


def _catch(parse: Callable[[], T], problems: list[FieldProblem]) -> T | None:
    try:
        return parse()
    except InvalidInput as exc:
        problems.extend(exc.problems)
        return None


def _split(
    value: object, name: str, problems: list[FieldProblem], most: int | None = None
) -> list[str]:
    if not (value is None or isinstance(value, str | list)):
        problems.append(FieldProblem(name, f"{name} must be a string or a list of strings."))
        return []
    return _catch(lambda: split_address_list(value, field=name, max_items=most), problems) or []


def _addresses(items: list[str], name: str, problems: list[FieldProblem]) -> tuple[Address, ...]:
    out: list[Address] = []
    for item in items:
        try:
            out.append(parse_address(item, field=name))
        except InvalidInput as exc:
            problems.extend(exc.problems)
    return dedupe(tuple(out))[0]


def _one_address(
    fields: dict[str, object], name: str, problems: list[FieldProblem]
) -> Address | None:
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append(FieldProblem(name, f"{name} must be a string holding one email address."))
        return None
    items = _catch(lambda: split_address_list(value, field=name), problems)
    if not items:
        return None
    if len(items) > 1:
        problems.append(
            FieldProblem(name, f"{name} must be exactly one address; {len(items)} were given.")
        )
        return None
    return _catch(lambda: parse_address(items[0], field=name), problems)


def _reply_to(value: object, problems: list[FieldProblem]) -> tuple[Address, ...]:
    return _addresses(_split(value, "ReplyTo", problems, MAX_REPLY_TO), "ReplyTo", problems)


def _text(
    fields: dict[str, object],
    name: str,
    problems: list[FieldProblem],
    forbidden: re.Pattern[str],
    rule: str,
) -> str | None:
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append(FieldProblem(name, f"{name} must be a string."))
        return None
    if forbidden.search(value):
        problems.append(FieldProblem(name, f"{name} contains a forbidden character: {rule}."))
        return None
    return value


def _octets(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def _is_html(value: object, body: str, problems: list[FieldProblem]) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if value is None or (isinstance(value, str) and not value.strip()):
        return looks_like_html(body)
    problems.append(FieldProblem("IsHtml", "IsHtml must be true or false."))
    return False


def _importance(value: object, problems: list[FieldProblem]) -> Importance | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.lower() in ("high", "normal", "low"):
        return Importance(value.lower())
    problems.append(FieldProblem("Importance", "Importance must be 'High', 'Normal' or 'Low'."))
    return None


def _headers(value: object, problems: list[FieldProblem]) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        problems.append(FieldProblem("Headers", "Headers must be an object of name → value."))
        return ()
    if len(value) > MAX_HEADERS:
        problems.append(
            FieldProblem("Headers", f"{len(value)} headers were given; at most {MAX_HEADERS}.")
        )
        return ()
    out: list[tuple[str, str]] = []
    for name, text in value.items():
        path = f"Headers.{shown_key(name)}"
        key = name.lower() if isinstance(name, str) else ""
        wrong = None
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            wrong = "A header name must be 1-76 printable ASCII characters, without ':'."
        elif key in _HEADER_FIELDS:
            wrong = f"Set {name} through the {_HEADER_FIELDS[key]} field instead."
        elif key in _RESERVED_HEADERS or key.startswith("content-"):
            wrong = f"The header {name} is not allowed: the connector or the servers set it."
        elif not isinstance(text, str):
            wrong = "A header value must be a string."
        elif _LINE_BREAKING.search(text) or len(text) > MAX_HEADER_VALUE_CHARS:
            wrong = f"A header value must be one line of at most {MAX_HEADER_VALUE_CHARS} "
            wrong += "characters, without control characters."
        else:
            out.append((name, text.strip()))
        if wrong is not None:
            problems.append(FieldProblem(path, wrong))
    return tuple(out)
