"""A small HTML tokenizer that runs in time and memory linear in its input, whatever the input.

It follows the HTML5 tokenizer where it matters for reading text: a tag ends at the first ``>``
outside a quoted attribute value, a comment at ``-->``, ``<!...>`` and ``<?...>`` are skipped,
``<`` not followed by a letter, ``/``, ``!`` or ``?`` is text, and the contents of ``script`` and
``style`` are raw text up to their end tag. A tag, quoted value or comment still open at the end
of the input runs to the end and is dropped, as browsers do.

Why linear: the scan only moves forward and reads each character a bounded number of times; a
construct left open is never retried from a later position (the flaw that makes
CPython's own ``html.parser`` quadratic on ``"<a" * n`` before 3.11.13, CVE-2025-6069). Each
regular expression below repeats single characters only: a repeated group would make the
``re`` engine keep state for every repetition (hundreds of bytes each), and backtracking over
single characters is bounded by the run that was just read.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Protocol

__all__ = ["Sink", "attribute", "scan"]

_MARKUP = re.compile(r"<[a-zA-Z/!?]")
_TAG_NAME = re.compile(r"/?([a-zA-Z][^\s/>]*)")
_TAG_STOP = re.compile(r"""[>"']""")  # the end of a tag, or a quote that may start a value
_SPACE = " \t\n\r\f"
_COMMENT_END = re.compile(r"--!?>")
_ATTR = re.compile(r"""([^\s/>=][^\s/>=]*)(?:\s*=\s*("[^"]*"?|'[^']*'?|[^\s>]*))?""")
_RAW_TEXT_END = {
    name: re.compile(rf"</{name}(?=[\s/>]|\Z)", re.IGNORECASE) for name in ("script", "style")
}


class Sink(Protocol):
    """What ``scan`` reports: tag names are lower case, text has its references decoded."""

    def start(self, tag: str, attributes: str) -> None: ...

    def end(self, tag: str) -> None: ...

    def text(self, text: str) -> None: ...


def scan(html: str, sink: Sink) -> None:
    """Report the start tags, end tags and text of ``html`` to ``sink``, in order."""
    pos, size = 0, len(html)
    while pos < size:
        found = _MARKUP.search(html, pos)
        at = size if found is None else found.start()
        if at > pos:
            text = html[pos:at]
            sink.text(unescape(text) if "&" in text else text)
        if found is None:
            return
        name = _TAG_NAME.match(html, at + 1)
        if name is None:  # <!...>, <?...> or </ without a letter
            pos = _declaration_end(html, at)
            continue
        attributes_end, pos = _tag_end(html, name.end())
        if pos > size:  # the tag never ends
            return
        tag = name.group(1).lower()
        if html[at + 1] == "/":
            sink.end(tag)
            continue
        sink.start(tag, html[name.end() : attributes_end])
        if tag in _RAW_TEXT_END:  # its text runs up to its end tag
            closing = _RAW_TEXT_END[tag].search(html, pos)
            stop = size if closing is None else closing.start()
            if stop > pos:
                sink.text(html[pos:stop])
            pos = stop


def _tag_end(html: str, pos: int) -> tuple[int, int]:
    """Where a tag's attributes end and where the text after its ``>`` starts (past the end of
    ``html`` when the tag is never closed), from ``pos`` just after its name."""
    while True:
        stop = _TAG_STOP.search(html, pos)
        if stop is None:
            return len(html), len(html) + 1
        at = stop.start()
        char = html[at]
        if char == ">":
            return at, at + 1
        if html[pos:at].rstrip(_SPACE).endswith("="):  # a quoted value: it may hold '>'
            closing = html.find(char, at + 1)
            if closing < 0:
                return len(html), len(html) + 1
            pos = closing + 1
        else:  # a quote that does not start a value is a character like any other
            pos = at + 1


def _declaration_end(html: str, at: int) -> int:
    """Where the text after a comment, ``<!...>``, ``<?...>`` or ``</...>`` at ``at`` starts."""
    if html.startswith("<!--", at):
        if html.startswith(">", at + 4):  # <!-->
            return at + 5
        if html.startswith("->", at + 4):  # <!--->
            return at + 6
        closing = _COMMENT_END.search(html, at + 4)
        return len(html) if closing is None else closing.end()
    end = html.find(">", at + 2)
    return len(html) if end < 0 else end + 1


def attribute(attributes: str, name: str) -> str | None:
    """The decoded value of the first attribute ``name`` (lower case) in a start tag's text."""
    for found in _ATTR.finditer(attributes):
        if found.group(1).lower() == name:
            value = found.group(2) or ""
            if value[:1] in ('"', "'"):
                value = value[1:-1] if len(value) > 1 and value[-1] == value[0] else value[1:]
            return unescape(value)
    return None
