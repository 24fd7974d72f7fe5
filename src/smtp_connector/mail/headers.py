"""Header encoding helpers: RFC 2047 encoded-words, folding, addresses and RFC 2231 parameters."""

from __future__ import annotations

from binascii import b2a_base64
from collections.abc import Sequence
from urllib.parse import quote

from smtp_connector.mail.message import Address

MAX_LINE = 78
"""Preferred longest header line (RFC 5322 2.1.1); the hard limit is 998."""

EW_MAX = 75
"""Longest encoded-word (RFC 2047 2)."""

_EW_PREFIX = "=?utf-8?b?"
_EW_OVERHEAD = len(_EW_PREFIX) + len("?=")
_EW_MIN = _EW_OVERHEAD + 8  # room for one 4-byte UTF-8 character
_PLAIN_WORD_MAX = 900  # longer words are encoded so that no line can pass 998 octets
_SPECIALS = frozenset('()<>[]:;@\\,."')
# RFC 2231 attribute-char: CHAR except SPACE, CTLs, "*", "'", "%" and tspecials.
_ATTR_SAFE = "!#$&+-.^_`|~"
_SECTION_MAX = 60


def octets(text: str) -> int:
    """Length of ``text`` once written as UTF-8."""
    return len(text) if text.isascii() else len(text.encode())


def is_plain(text: str, max_word: int = _PLAIN_WORD_MAX) -> bool:
    """True when ``text`` can be written verbatim: printable ASCII, no ``=?``, no edge spaces."""
    return (
        text.isascii()
        and text.isprintable()
        and "=?" not in text
        and not text.startswith(" ")
        and not text.endswith(" ")
        and (len(text) <= max_word or max(map(len, text.split(" "))) <= max_word)
    )


def encode_words(text: str, first_room: int = EW_MAX) -> list[str]:
    """RFC 2047 ``b`` encoded-words for ``text``, never splitting a UTF-8 character between two.

    The first word is at most ``first_room`` characters long (but room for one character is
    always given), the others at most 75.
    """
    data = text.encode()
    words: list[str] = []
    room = max(min(first_room, EW_MAX), _EW_MIN)
    start, end_of_data = 0, len(data)
    while start < end_of_data:
        end = min(start + (room - _EW_OVERHEAD) // 4 * 3, end_of_data)
        while end < end_of_data and data[end] & 0xC0 == 0x80:  # continuation byte
            end -= 1
        encoded = b2a_base64(data[start:end], newline=False).decode("ascii")
        words.append(f"{_EW_PREFIX}{encoded}?=")
        start, room = end, EW_MAX
    return words


def fold(name: str, tokens: Sequence[str], *, break_after_name: bool = False) -> str:
    """``name: t1 t2 ...`` folded (CRLF SP) before a token that would take a line past 78 octets.

    Tokens are separated by one space, which a fold keeps at the start of the next line, so
    unfolding gives back exactly ``" ".join(tokens)``. Empty tokens are never put first on a
    line. With ``break_after_name`` even the first token may move to the second line.
    """
    joined = " ".join(tokens)
    if len(name) + 2 + len(joined) <= MAX_LINE and joined.isascii():
        return f"{name}: {joined}" if tokens else f"{name}:"
    parts = [name, ":"]
    length = len(name) + 1
    may_break = break_after_name
    for token in tokens:
        size = octets(token)
        if token and may_break and length + 1 + size > MAX_LINE:
            parts.append("\r\n ")
            length = 1 + size
        else:
            parts.append(" ")
            length += 1 + size
        parts.append(token)
        may_break = True
    return "".join(parts)


def unstructured(name: str, value: str) -> str:
    """A folded unstructured header (Subject, custom): verbatim when plain ASCII, else RFC 2047."""
    if not value:
        return f"{name}:"
    if is_plain(value, min(_PLAIN_WORD_MAX, 990 - len(name))):
        return fold(name, value.split(" "))
    # Lines holding encoded-words are limited to 76 characters (RFC 2047 2).
    return fold(name, encode_words(value, 76 - len(name) - 2))


def address_tokens(address: Address) -> list[str]:
    """``Name <addr>`` as foldable tokens; the name quoted or RFC 2047 encoded when needed."""
    spec = address.addr_spec
    name = " ".join(address.display_name.split())
    if not name:
        return [spec]
    if not is_plain(name, EW_MAX + 1):
        return [*encode_words(name), f"<{spec}>"]
    if not _SPECIALS.isdisjoint(name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return [*name.split(" "), f"<{spec}>"]


def format_address_list(name: str, addresses: Sequence[Address]) -> str:
    """An address header (From, To, Cc, ...): addresses joined with ``, `` and folded at commas.

    An address is folded inside only when it is longer than a line by itself.
    """
    tokens: list[str] = []
    last = len(addresses) - 1
    for index, address in enumerate(addresses):
        words = address_tokens(address)
        if len(words) > 1 and sum(map(octets, words)) + len(words) < MAX_LINE:
            words = [" ".join(words)]
        if index < last:
            words[-1] += ","
        tokens.extend(words)
    return fold(name, tokens, break_after_name=True)


def format_address(name: str, address: Address) -> str:
    """A single-address header such as Disposition-Notification-To."""
    return format_address_list(name, (address,))


def mime_param(name: str, value: str) -> list[str]:
    """A MIME parameter: ``name="value"`` for plain ASCII, else RFC 2231 (in sections if long).

    Several items are RFC 2231 continuation sections, to be joined with ``;`` and folded.
    """
    # Readers decode encoded-words even inside quoted strings, so "=?" goes the RFC 2231 way.
    if value.isascii() and value.isprintable() and "=?" not in value and len(value) <= 900:
        return [f'{name}="' + value.replace("\\", "\\\\").replace('"', '\\"') + '"']
    encoded = quote(value, safe=_ATTR_SAFE, encoding="utf-8")
    if len(encoded) <= _SECTION_MAX:
        return [f"{name}*=utf-8''{encoded}"]
    # Each section is decoded on its own by some readers: cut between characters only.
    sections: list[str] = []
    current = ""
    for char in value:
        piece = quote(char, safe=_ATTR_SAFE, encoding="utf-8")
        if current and len(current) + len(piece) > _SECTION_MAX:
            sections.append(current)
            current = ""
        current += piece
    sections.append(current)
    sections[0] = "utf-8''" + sections[0]
    return [f"{name}*{index}*={section}" for index, section in enumerate(sections)]


def parameterized(name: str, value: str, params: Sequence[str]) -> str:
    """A folded ``name: value; p1; p2`` header (Content-Type, Content-Disposition)."""
    if not params:
        return f"{name}: {value}"
    tokens = [f"{value};", *(f"{param};" for param in params[:-1]), params[-1]]
    return fold(name, tokens)
