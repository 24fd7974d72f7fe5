"""Parsing and validating email addresses and address lists (To, CC, Bcc, From, Reply-To).

An address list is split into items at ``;`` **and** ``,``: Logic Apps documents semicolons, but
people paste lists typed the Outlook way with commas, and one merged address must never come out
of it. A separator splits only at the top level, never inside a quoted display name
(``"Doe, John" <j@example.com>`` is one address), a comment or angle brackets. Empty items
(``a@x.com;; ;``) are skipped. A list may also be a JSON array of strings, each of which may
hold several separated addresses.

Each item is one mailbox: ``Display Name <local@domain>`` or a bare ``local@domain``. The item is
read with the standard library's RFC 5322 parser, then the address is checked by
``email_validator``. The stored address has an ASCII (punycode) domain in lower case; the local
part keeps its case and may be UTF-8 (then SMTPUTF8 is needed). ``email_validator`` normalises it
to Unicode NFC and lower-cases the RFC 2142 role names (``Postmaster`` → ``postmaster``).

Refused on purpose:

- any control character (CR, LF, NUL, TAB, DEL, C1 controls, U+2028, U+2029) anywhere: header and
  SMTP command injection;
- a local part starting with ``-`` (argument injection into sendmail-like programs), a quoted
  local part, a local part over 64 octets, a domain over 255 octets or with a label over 63;
- an IP-literal domain (``user@[192.0.2.1]``): it bypasses the MX and DNS policy of the relay, is
  almost never a real mailbox and is a way to aim mail at internal hosts; a domain that is a bare
  IP address is refused too (no valid top-level domain);
- special-use domains (``.local``, ``.localhost``, ``.invalid``, ``.onion``, ``.arpa``) and
  single-label domains; ``.test`` is accepted so that test setups can use it;
- text after the address (``a@x.com)<b@y.com>``, two addresses in one item), an obsolete route,
  a display name without an address.
"""

from __future__ import annotations

import functools
import re
from email import _header_value_parser as rfc5322
from email.errors import NonASCIILocalPartDefect

from email_validator import EmailNotValidError, validate_email

from smtp_connector.errors import FieldProblem, InvalidInput
from smtp_connector.mail.message import Address

__all__ = [
    "MAX_ITEM_CHARS",
    "dedupe",
    "has_control",
    "parse_address",
    "parse_address_list",
    "split_address_list",
]

MAX_ITEM_CHARS = 1000
"""Longest single list item (display name and address) that is parsed at all."""

_LOCAL_PART_MAX_OCTETS = 64
_QUOTE_MAX = 80
# C0 controls (TAB included), DEL, C1 controls (NEL U+0085 among them), line and paragraph
# separators, and lone surrogates (they cannot be written as UTF-8).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_SEPARATOR = re.compile("[;,]")
_NEEDS_SCAN = re.compile('["(<]')
_TOP = re.compile('["(<>;,]')
_IN_QUOTE = re.compile(r'[\\"]')
_IN_COMMENT = re.compile(r"[\\()]")
# Parser defects that are harmless: a UTF-8 local part (SMTPUTF8), encoded-words written inside a
# quoted display name (decoded like most mail readers do).
_TOLERATED_DEFECTS = ("encoded word inside quoted string", "whitespace after encoded-word")


def has_control(text: str) -> bool:
    """True when ``text`` holds a control character, U+2028/U+2029 or a lone surrogate."""
    return _CONTROL.search(text) is not None


def _quoted(text: str) -> str:
    """``text`` quoted for an error message, shortened when long."""
    if len(text) > _QUOTE_MAX:
        text = text[: _QUOTE_MAX - 3] + "..."
    return repr(text)


def _fail(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, [FieldProblem(field, message)])


def _check_text(value: str, field: str) -> None:
    if has_control(value):
        raise _fail(
            field,
            f"{field} contains a line break or another control character; "
            "an address must be one line of printable text.",
        )


def parse_address(text: str, *, field: str) -> Address:
    """One mailbox (``Name <local@domain>`` or ``local@domain``); InvalidInput naming ``field``."""
    if not isinstance(text, str):
        raise _fail(field, f"{field} must be a string holding an email address.")
    _check_text(text, field)
    item = text.strip()
    if not item:
        raise _fail(field, f"{field} is empty; an email address is required.")
    if len(item) > MAX_ITEM_CHARS:
        raise _fail(field, f"An address in {field} is longer than {MAX_ITEM_CHARS} characters.")
    return _parse_item(item, field)


@functools.lru_cache(maxsize=4096)
def _parse_item(item: str, field: str) -> Address:
    """``parse_address`` of a stripped, control-free item; valid results are cached.

    Parsing and validating costs about 100 µs an address, and workflows send from and to the same
    addresses over and over. ``Address`` is immutable, so a cached one is safe to share.
    """
    what = _quoted(item)
    if "@" not in item:
        raise _fail(
            field,
            f"{what} in {field} is not an email address: it has no '@' "
            "(a display name needs an address too, as in 'Name <user@example.com>').",
        )
    try:
        token, rest = rfc5322.get_mailbox(item)
    except Exception:  # the stdlib parser's failure modes (IndexError...) are undocumented
        raise _fail(field, f"{what} in {field} is not a valid email address.") from None
    if rest.strip():
        raise _fail(
            field,
            f"{what} in {field} has unexpected text after the address ({_quoted(rest.strip())}); "
            "write one address per item and separate addresses with ';'.",
        )
    defects = [
        d
        for d in token.all_defects
        if not isinstance(d, NonASCIILocalPartDefect)
        and not any(t in str(d) for t in _TOLERATED_DEFECTS)
    ]
    if token.local_part is None or token.domain is None:
        raise _fail(field, f"{what} in {field} has a display name but no email address.")
    if defects:
        raise _fail(field, f"{what} in {field} is not a valid email address ({defects[0]}).")
    if token.domain.startswith("["):
        raise _fail(
            field,
            f"{what} in {field} uses an IP address as its domain; IP literals are not accepted, "
            "use a domain name.",
        )
    return Address(_addr_spec(token.addr_spec, what, field), _display_name(token, field))


def _addr_spec(spec: str, what: str, field: str) -> str:
    local = spec.rpartition("@")[0]
    if len(local.encode("utf-8")) > _LOCAL_PART_MAX_OCTETS:
        raise _fail(
            field,
            f"{what} in {field} has more than {_LOCAL_PART_MAX_OCTETS} octets before the @-sign.",
        )
    try:
        result = validate_email(
            spec,
            check_deliverability=False,
            allow_smtputf8=True,
            allow_quoted_local=False,
            allow_domain_literal=False,
            allow_display_name=False,
            strict=True,
            test_environment=True,
        )
    except EmailNotValidError as exc:
        raise _fail(field, f"{what} in {field} is not a valid email address: {exc}") from None
    except Exception:  # idna and unicodedata oddities must not become a 500
        raise _fail(field, f"{what} in {field} is not a valid email address.") from None
    if result.local_part.startswith("-"):
        raise _fail(
            field, f"{what} in {field} starts with '-', which is not allowed in an address."
        )
    return f"{result.local_part}@{result.ascii_domain}"


def _display_name(token: rfc5322.Mailbox, field: str) -> str:
    name = (token.display_name or "").strip()
    if has_control(name):
        raise _fail(
            field, f"The display name of an address in {field} contains a control character."
        )
    return name


def split_address_list(
    value: str | list[str] | None, *, field: str, max_items: int | None = None
) -> list[str]:
    """The non-empty items of an address list, stripped, without parsing them.

    Raises InvalidInput for a value that is neither a string nor a list of strings, that holds a
    control character, or that has more than ``max_items`` items (checked first on its length,
    so that a huge value is refused without being split).
    """
    if value is None:
        return []
    if isinstance(value, str):
        texts = [value]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        texts = value
    else:
        raise _fail(field, f"{field} must be a string or a list of strings.")
    if max_items is not None and sum(map(len, texts)) > max_items * (MAX_ITEM_CHARS + 2):
        raise _fail(field, f"{field} is too long to hold at most {max_items} addresses.")
    items: list[str] = []
    for text in texts:
        _check_text(text, field)
        items.extend(_split(text))
    if max_items is not None and len(items) > max_items:
        raise _fail(field, f"{field} has {len(items)} addresses; at most {max_items} are allowed.")
    return items


def _split(text: str) -> list[str]:
    """``text`` cut at top-level ``;`` and ``,``; blank items dropped."""
    if not _NEEDS_SCAN.search(text):
        parts = _SEPARATOR.split(text)
    else:
        parts = []
        start = pos = depth = 0
        angle = quoted = False
        while True:
            pattern = _IN_QUOTE if quoted else _IN_COMMENT if depth else _TOP
            match = pattern.search(text, pos)
            if match is None:
                break
            char, pos = match.group(), match.end()
            if char == "\\":
                pos += 1  # skip the escaped character
            elif quoted:
                quoted = False
            elif depth:
                depth += 1 if char == "(" else -1
            elif char == '"':
                quoted = True
            elif char == "(":
                depth = 1
            elif char in "<>":
                angle = char == "<"
            elif not angle:
                parts.append(text[start : match.start()])
                start = pos
        parts.append(text[start:])
    return [s for s in (p.strip() for p in parts) if s]


def parse_address_list(value: str | list[str] | None, *, field: str) -> tuple[Address, ...]:
    """Every address of a list, in order; InvalidInput naming ``field`` lists every bad item."""
    problems: list[FieldProblem] = []
    addresses: list[Address] = []
    for item in split_address_list(value, field=field):
        try:
            addresses.append(parse_address(item, field=field))
        except InvalidInput as exc:
            problems.extend(exc.problems)
    if problems:
        raise InvalidInput(problems[0].message, problems)
    return tuple(addresses)


def dedupe(*lists: tuple[Address, ...]) -> tuple[tuple[Address, ...], ...]:
    """The lists without repeats: an address already seen (case-insensitively) is dropped."""
    seen: set[str] = set()
    out: list[tuple[Address, ...]] = []
    for addresses in lists:
        kept: list[Address] = []
        for address in addresses:
            if address.key not in seen:
                seen.add(address.key)
                kept.append(address)
        out.append(tuple(kept))
    return tuple(out)
