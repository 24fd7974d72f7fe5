"""The HTML-to-text rendering as it was before the single-pass tokenizer: the test oracle.

``mail.html_text`` must give exactly what this gives, on any input. This is the earlier code
unchanged (a forward scanner calling a sink once per tag and text), kept only for the tests.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Protocol

__all__ = ["html_to_text"]

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


_SKIP = frozenset({"script", "style", "head", "title"})
_BLOCK = frozenset(
    {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "ul", "ol", "blockquote", "hr"}
)
_CELL = frozenset({"td", "th"})
# Line breaks, paragraphs and list items are marked with characters that are not white space,
# so that one pass can collapse the white space of the text; they are replaced at the end.
_BREAK, _PARAGRAPH, _ITEM = "\x00", "\x01", "\x02"
_MARKERS = re.compile("[\x00-\x02]")
_SPACES = re.compile(r"\s+")
_BLANK_LINES = re.compile("\n\n\n+")


class _TextExtractor:
    """Collects text pieces and markers.

    A link's text is needed at its ``</a>`` (to tell whether its target must be shown), and
    links nest. To keep that linear, while a link is open the text is also kept "flat": pieces
    with their white space collapsed, never two white-space pieces in a row, with a running count
    of the characters that are not spaces. A link whose text has more such characters than its
    target cannot be equal to it, so only texts no longer than the target are ever joined.
    """

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self._skipping: list[str] = []
        self._skip_counts = dict.fromkeys(_SKIP, 0)
        self._links: list[tuple[str, int, int]] = []  # href, len(self._flat), self._solid
        self._flat: list[str] = []
        self._solid = 0  # characters other than spaces in self._flat

    def _add(self, piece: str, flat: str) -> None:
        self.pieces.append(piece)
        if not self._links or not flat:
            return
        if flat != " " or (self._flat and self._flat[-1][-1] != " "):
            self._flat.append(flat)
            self._solid += len(flat) - flat.count(" ")

    def start(self, tag: str, attributes: str) -> None:
        if tag in _SKIP:
            self._skipping.append(tag)
            self._skip_counts[tag] += 1
        elif tag == "body":
            self._skipping.clear()  # a <head> that was never closed
            self._skip_counts = dict.fromkeys(_SKIP, 0)
        elif tag == "br":
            self._add(_BREAK, " ")
        elif tag in _BLOCK:
            self._add(_PARAGRAPH, " ")
        elif tag == "li":
            self._add(_ITEM, " - ")
        elif tag == "a":
            href = (attribute(attributes, "href") or "").strip()
            self._links.append((href, len(self._flat), self._solid))

    def end(self, tag: str) -> None:
        if tag in _SKIP:
            if self._skip_counts[tag]:
                while (closed := self._skipping.pop()) != tag:
                    self._skip_counts[closed] -= 1
                self._skip_counts[tag] -= 1
        elif tag in _BLOCK:
            self._add(_PARAGRAPH, " ")
        elif tag in _CELL:
            self._add(" ", " ")
        elif tag == "a" and self._links:
            self._end_link()

    def _end_link(self) -> None:
        """Show the target of the link that ends, unless it is its text or a ``#`` anchor."""
        href, start, solid = self._links.pop()
        if href and not href.startswith("#"):
            target = href.removeprefix("mailto:")
            if self._solid - solid > len(target):  # longer than the target: cannot be equal
                differs, empty = True, False
            else:
                text = _SPACES.sub(" ", "".join(self._flat[start:])).strip()
                differs, empty = text != target, not text
            if differs:
                piece = href if empty else f" ({href})"
                self._add(piece, _SPACES.sub(" ", piece))
        if not self._links:
            self._flat.clear()
            self._solid = 0

    def text(self, text: str) -> None:
        if self._skipping:
            return
        if self._links:
            self._add(text, _SPACES.sub(" ", text))
        else:
            self.pieces.append(text)


def html_to_text(html: str) -> str:
    """Readable plain text for ``html``: paragraphs, line breaks, list items and link targets."""
    if _BREAK in html or _PARAGRAPH in html or _ITEM in html:
        html = _MARKERS.sub(" ", html)
    extractor = _TextExtractor()
    scan(html, extractor)
    text = " ".join("".join(extractor.pieces).split())  # white space collapsed, ends stripped
    for marker, lines in ((_BREAK, "\n"), (_PARAGRAPH, "\n\n"), (_ITEM, "\n- ")):
        if marker in text:
            text = text.replace(" " + marker, marker).replace(marker + " ", marker)
            text = text.replace(marker, lines)
    text = text.replace("- \n", "-\n")  # an empty list item; other spaces before a break are gone
    return _BLANK_LINES.sub("\n\n", text).strip(" \n")
