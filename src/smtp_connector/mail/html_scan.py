"""A small HTML tokenizer that runs in time and memory linear in its input, whatever the input.

It follows the HTML5 tokenizer where it matters for reading text: a tag ends at the first ``>``
outside a quoted attribute value, a comment at ``-->``, ``<!...>`` and ``<?...>`` are skipped,
``<`` not followed by a letter, ``/``, ``!`` or ``?`` is text, and the contents of ``script`` and
``style`` are raw text up to their end tag. A tag, quoted value or comment still open at the end
of the input runs to the end and is dropped, as browsers do.

Why fast: no Python code runs per tag. One regular expression cuts the input in one C-level
pass (``re.split``). Simple HTML, where every ``<`` opens a tag that the next ``>`` closes, with
no comment or raw text and every quoted value closed inside its tag (as most generated mail
is), is cut with ``str.split`` instead, once checks on whole strings have shown it is simple.

Why linear: every repetition is possessive (``*+``) or a lazy scan for a fixed end marker, so a
match only moves forward and no construct is retried from a later position (the flaw that makes
CPython's own ``html.parser`` quadratic on ``"<a" * n`` before 3.11.13, CVE-2025-6069); the
checks of simple HTML are a fixed number of passes. A possessive repetition of a group keeps no
state per repetition, and long input is read in windows of ``WINDOW`` characters, so memory
stays linear too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from html.entities import html5

__all__ = ["WINDOW", "Tokens", "attribute", "decode", "tokenize"]

WINDOW = 1 << 16
"""Characters tokenized at once: the token lists of a window take about 20 bytes a character."""

_SPACE = "[ \t\n\r\f]"  # the HTML space characters, which end a tag name and surround '='
# An attribute value in quotes; one never closed runs to the end of the input.
_QUOTED = r"""(?:"[^"]*+"|'[^']*+'|["'][\s\S]*+)"""
# What follows a tag's name up to its '>': a quote opens a value only after '=' (and spaces).
_ATTRIBUTES = rf"""[^>"'=]*+(?:(?:={_SPACE}*+{_QUOTED}?|["'])[^>"'=]*+)*+"""
# The same with its '>' (none when it runs to the end), trying '>' first.
_ATTRIBUTES_END = rf"""[^>"'=]*+(?:>|(?:(?:={_SPACE}*+{_QUOTED}?|["'])[^>"'=]*+)*+>?)"""
_DECLARATION = r"(?:!--(?:>|->|[\s\S]*?--!?>|[\s\S]*+)|[!?/][^>]*+>?)"  # comments, <!x>, <?x>
_NAME = re.compile(r"/?[a-zA-Z][^\s/>]*+")


def _raw_text(name: str) -> str:
    """The raw text after a ``name`` start tag: up to its end tag, or to the end of the input."""
    return rf"(?:[\s\S]*?(?=(?i:</{name})(?:\s|/|>|\Z))|[\s\S]*+)"


# One token: group 1 is a tag's name with its '/', or "" for a comment or declaration (whose
# empty group 2 selects the other branch); group 3 is all the rest of the token after the name.
_TOKEN = re.compile(rf"<({_NAME.pattern}|()(?=[!?/]))((?(2){_DECLARATION}|{_ATTRIBUTES_END}))")
# The same, also reading the raw text of script and style (whose group 3 or 4 is set).
_TOKEN_RAW = re.compile(
    r"<(([sS][cC][rR][iI][pP][tT])(?=\s|/|>|\Z)|([sS][tT][yY][lL][eE])(?=\s|/|>|\Z)"
    rf"|{_NAME.pattern}|()(?=[!?/]))"
    rf"((?(4){_DECLARATION}|{_ATTRIBUTES}(?:>(?(2){_raw_text('script')}"
    rf"|(?(3){_raw_text('style')}))|)))",
)
_RAW_NAMES = frozenset({"script", "style"})
# Without these, _TOKEN reads as _TOKEN_RAW does.
_RAW_START = re.compile("<[sS](?:[cC][rR][iI][pP][tT]|[tT][yY][lL][eE])")
_CLOSED = re.compile(rf"{_ATTRIBUTES}>")

# For the checks of simple HTML on whole strings: the bytes other than '<' and '>'; and the
# classes of the bytes of its tags joined by NULs: '<' for a NUL (a tag's start), 'a' for an
# ASCII letter, '/', ' ' for ASCII white space, '.' for anything else.
_NOT_ANGLES = bytes(byte for byte in range(256) if byte not in b"<>")
_CLASSES = bytes(
    ord("<") if byte == 0 else ord("a") if chr(byte).isascii() and chr(byte).isalpha()
    else byte if byte == ord("/") else ord(" ") if chr(byte).isascii() and chr(byte).isspace()
    else ord(".")
    for byte in range(256)
)  # fmt: skip
# A tag of simple HTML (between its '<' and '>') whose quoted values close inside it; and such
# tags joined by NULs.
_SIMPLE_TAG = (
    rf"""/?[a-zA-Z][^\s/>\0]*+[^\0>"'=]*+"""
    rf"""(?:(?:={_SPACE}*+(?:"[^"\0]*+"|'[^'\0]*+'|(?!["']))|["'])[^\0>"'=]*+)*+"""
)
_SIMPLE_TAGS = re.compile(rf"{_SIMPLE_TAG}(?:\0{_SIMPLE_TAG})*+")
# What follows a tag's name in simple HTML tags joined by NULs: from a space or a '/' that is
# not the tag's first character.
_AFTER_NAMES = re.compile(r"[\s/](?<=[^\0/][\s/])[^\0]*+")


class Tokens:
    """Part of an HTML text cut at its tags: ``texts[i]`` comes before tag ``i``, ``texts[-1]``
    after the last; texts have their character references decoded.

    ``names[i]`` is tag ``i``'s name in lower case, with a ``/`` for an end tag (``"p"``,
    ``"/p"``), or ``""`` for a comment or declaration.
    """

    __slots__ = ("_bodies", "_tails", "names", "texts")

    def __init__(
        self,
        texts: list[str],
        names: list[str],
        *,
        tails: list[str] | None = None,
        bodies: list[str] | None = None,
    ) -> None:
        self.texts, self.names = texts, names
        self._tails = tails  # what follows each name: attributes, '>', raw text
        self._bodies = bodies  # or all between each '<' and '>' (simple HTML)

    def attributes(self, index: int) -> str:
        """The text of start tag ``index`` between its name and its ``>``."""
        if self._bodies is not None:
            body = self._bodies[index]
            found = _NAME.match(body)
            return body[found.end() :] if found else ""
        tail = self._tails[index] if self._tails is not None else ""
        if self.names[index] in _RAW_NAMES:  # then its raw text follows its '>'
            closed = _CLOSED.match(tail)
            return tail[: closed.end() - 1] if closed else tail
        return tail[:-1]  # a tag that is left is closed: its tail ends with its '>'


def tokenize(html: str, window: int = WINDOW) -> Iterator[Tokens]:
    """The texts and tags of ``html`` in order, read ``window`` characters at a time (more when
    one text or tag is longer). A tag never closed is dropped with all that follows it."""
    pos, size, least = 0, len(html), window
    if size <= window:
        tokens = _cut_simple(html)
        if tokens is not None:
            yield tokens
            return
    while size - pos > window:
        # Each window ends just after a '>': cut anywhere else, an end tag of raw text could
        # be read as complete at the window's end ("</script" of "</scriptx>").
        end = html.find(">", pos + window - 1)
        if end < 0 or end + 1 >= size:
            break
        tokens, used = _cut(html[pos : end + 1])
        if used:
            yield tokens
            pos, window = pos + used, least
        else:  # one text or token fills the window: read more at once
            window *= 2
    yield _cut(html[pos:] if pos else html, last=True)[0]


def _cut(html: str, *, last: bool = False) -> tuple[Tokens, int]:
    """The tokens of ``html`` and the characters they cover: all of them when it is ``last``,
    else all but the last text and a last tag that reaches the end (they may go on)."""
    if _RAW_START.search(html) is None:
        parts = _TOKEN.split(html)
        texts, names, tails = parts[0::4], parts[1::4], parts[3::4]
    else:  # what follows a script or style start tag is raw text
        parts = _TOKEN_RAW.split(html)
        texts, names, tails = parts[0::6], parts[1::6], parts[5::6]
    lowered = _lower(names, html)
    used = len(html)
    if not last:
        if texts[-1] or not names:
            used -= len(texts[-1])
            texts[-1] = ""
        else:
            used -= 1 + len(names[-1]) + len(tails[-1])
            del texts[-1], lowered[-1], tails[-1]
    elif names and not texts[-1] and names[-1] and not _CLOSED.match(tails[-1]):
        del texts[-1], lowered[-1], tails[-1]  # it runs to the end: never closed
    if "&" in html:
        texts = _unescape(texts, html)
    return Tokens(texts, lowered, tails=tails), used


def _cut_simple(html: str) -> Tokens | None:
    """The tokens of ``html`` if it is simple, else None.

    Simple: the ``<`` and ``>`` alternate (``<`` first, ``>`` last), each ``<`` is followed by a
    letter or by ``/`` and a letter, each quoted attribute value closes before the ``>``, and no
    tag is a script or style start tag. Then the tokenizer reads each ``<...>`` as one tag and
    all else as text.
    """
    if "\0" in html or "<" not in html:
        return None
    angles = html.encode("utf-8", "surrogatepass").translate(None, _NOT_ANGLES)
    if angles != b"<>" * (len(angles) >> 1):
        return None
    parts = html.replace(">", "<").split("<")
    tags = parts[1::2]
    joined = "\0".join(tags)
    if '"' in joined or "'" in joined:
        if not _SIMPLE_TAGS.fullmatch(joined):  # also checks how each tag starts
            return None
        joined = _AFTER_NAMES.sub("", joined)
    else:
        classes = ("\0" + joined).encode("utf-8", "surrogatepass").translate(_CLASSES)
        classes = classes.replace(b"</", b"<")
        if b"<" in classes.replace(b"<a", b""):
            return None  # a '<' not followed by a letter, or by '/' and a letter
        if not joined.isascii() or b" " in classes or b"/" in classes:  # attributes
            joined = _AFTER_NAMES.sub("", joined)
    names = joined.lower().split("\0")
    if not _RAW_NAMES.isdisjoint(names):
        return None
    texts = parts[0::2]
    if "&" in html:
        texts = _unescape(texts, html)
    return Tokens(texts, names, bodies=tags)


def _lower(names: list[str], html: str) -> list[str]:
    if "\0" in html:
        return [name.lower() for name in names]
    joined = "\0".join(names)
    lowered = joined.lower()
    return names if lowered == joined else lowered.split("\0")  # most are in lower case


def _unescape(texts: list[str], html: str) -> list[str]:
    """``texts`` with their character references decoded, each on its own."""
    if "\0" in html:
        return [decode(text) if "&" in text else text for text in texts]
    # A NUL ends a reference as the end of a text does (no reference name holds one), and
    # decoding never yields a NUL, so one call can decode all texts at once.
    return decode("\0".join(texts)).split("\0")


# The references most mail holds, by how often, with what html.unescape makes of them; "&amp;"
# is replaced last, so that no reference is made of what it leaves.
_COMMON_REFERENCES = [
    (f"&{name}", html5[name])
    for name in ("nbsp;", "quot;", "lt;", "gt;", "rsquo;", "mdash;", "ndash;", "copy;", "hellip;")
]


def decode(text: str) -> str:
    """``html.unescape(text)``: by ``str.replace`` when it only holds the most common references
    (``html.unescape`` runs Python code for each reference)."""
    total = text.count("&")
    if not total:
        return text
    found = amps = text.count("&amp;")
    decoded = text
    for reference, character in _COMMON_REFERENCES:
        if found == total:
            break
        count = text.count(reference)
        if count:
            found += count
            decoded = decoded.replace(reference, character)
    if found != total:
        return unescape(text)
    return decoded.replace("&amp;", "&") if amps else decoded


_ATTR = re.compile(r"""([^\s/>=][^\s/>=]*)(?:\s*=\s*("[^"]*"?|'[^']*'?|[^\s>]*))?""")


def attribute(attributes: str, name: str) -> str | None:
    """The decoded value of the first attribute ``name`` (lower case) in a start tag's text."""
    for found in _ATTR.finditer(attributes):
        if found.group(1).lower() == name:
            value = found.group(2) or ""
            if value[:1] in ('"', "'"):
                value = value[1:-1] if len(value) > 1 and value[-1] == value[0] else value[1:]
            return decode(value)
    return None
