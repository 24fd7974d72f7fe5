"""A plain-text rendering of an HTML body, for the text/plain alternative."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP = frozenset({"script", "style", "head", "title"})
_BLOCK = frozenset(
    {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "ul", "ol", "blockquote", "hr"}
)
_CELL = frozenset({"td", "th"})
_SPACES = re.compile(r"\s+")
_SPACES_IN_LINE = re.compile(r" {2,}")
_BLANK_LINES = re.compile(r"\n{3,}")


class _TextExtractor(HTMLParser):
    """Collects text pieces; ``"\\n"`` marks a line break and ``"\\n\\n"`` a paragraph."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self._skipping: list[str] = []
        self._links: list[tuple[str, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skipping.append(tag)
        elif tag == "body":
            self._skipping.clear()  # a <head> that was never closed
        elif tag == "br":
            self.pieces.append("\n")
        elif tag in _BLOCK:
            self.pieces.append("\n\n")
        elif tag == "li":
            self.pieces.append("\n- ")
        elif tag == "a":
            href = next((value for key, value in attrs if key == "href" and value), "")
            self._links.append((href.strip(), len(self.pieces)))

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            if tag in self._skipping:
                del self._skipping[len(self._skipping) - 1 - self._skipping[::-1].index(tag) :]
        elif tag in _BLOCK:
            self.pieces.append("\n\n")
        elif tag in _CELL:
            self.pieces.append(" ")
        elif tag == "a" and self._links:
            href, start = self._links.pop()
            text = _SPACES.sub(" ", "".join(self.pieces[start:])).strip()
            if href and not href.startswith("#") and href.removeprefix("mailto:") != text:
                self.pieces.append(f" ({href})" if text else href)

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.pieces.append(_SPACES.sub(" ", data))


def html_to_text(html: str) -> str:
    """Readable plain text for ``html``: paragraphs, line breaks, list items and link targets."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = [
        _SPACES_IN_LINE.sub(" ", line).strip(" ") for line in "".join(parser.pieces).split("\n")
    ]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n")
