"""A plain-text rendering of an HTML body, for the text/plain alternative.

It runs in time linear in the HTML, whatever the HTML (``mail.html_scan``), so a hostile body
cannot stall the process.
"""

from __future__ import annotations

import re

from smtp_connector.mail.html_scan import attribute, scan

__all__ = ["html_to_text"]

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
