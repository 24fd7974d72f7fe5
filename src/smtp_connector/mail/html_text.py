"""A plain-text rendering of an HTML body, for the text/plain alternative.

It runs in time linear in the HTML, whatever the HTML (``mail.html_scan``), so a hostile body
cannot stall the process. Most tags add nothing or only mark a line break, a paragraph or a list
item; those are rendered a whole list at a time by C code (``map``, slices, ``str.join``), and
Python code runs per tag only for the tags that change what follows them: links, and ``head``,
``title``, ``script`` and ``style``, whose text is dropped.
"""

from __future__ import annotations

import re
from itertools import pairwise, repeat

from smtp_connector.mail.html_scan import Tokens, attribute, tokenize

__all__ = ["html_to_text"]

_SKIP = frozenset({"script", "style", "head", "title"})
_BLOCK = frozenset(
    {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "ul", "ol", "blockquote", "hr"}
)
# Line breaks, paragraphs and list items are marked with characters that are not white space,
# so that one pass can collapse the white space of the text; they are replaced at the end.
_BREAK, _PARAGRAPH, _ITEM = "\x00", "\x01", "\x02"
_MARKERS = re.compile("[\x00-\x02]")
_SPACES = re.compile(r"\s+")
_ODD_SPACE = re.compile(r"[^\S ]")  # white space other than a space
_ASCII_SPACES = "\t\r\x0b\x0c\x1c\x1d\x1e\x1f"  # and " ", "\n"
_BLANK_LINES = re.compile("\n\n\n+")
# What each tag (by lower-case name, "/" for an end tag) adds to the text; others add nothing.
_MARK = {
    "br": _BREAK,
    "li": _ITEM,
    "/td": " ",
    "/th": " ",
    **{name: _PARAGRAPH for name in _BLOCK},
    **{"/" + name: _PARAGRAPH for name in _BLOCK},
}
# Tags whose effect depends on what came before: without a link or a skipped element open,
# "/a", "body" and the end tags of skipped elements change nothing.
_STATEFUL = frozenset({"a", *_SKIP})
_EVENTS = frozenset({"a", "/a", "body", *_SKIP, *("/" + name for name in _SKIP)})
# A link's text is compared with its target with breaks and paragraphs read as spaces.
_FLAT_SPACES = re.compile("[\\s\x00\x01]+")


def html_to_text(html: str) -> str:
    """Readable plain text for ``html``: paragraphs, line breaks, list items and link targets."""
    if _BREAK in html or _PARAGRAPH in html or _ITEM in html:
        html = _MARKERS.sub(" ", html)
    renderer = _Renderer()
    for tokens in tokenize(html):
        renderer.feed(tokens)
    return _finish(renderer.text())


def _finish(text: str) -> str:
    """``text`` with its white space collapsed and its markers made line breaks."""
    spaced = text.replace("\n", " ") if "\n" in text else text
    # White space collapsed, ends stripped; often there are only single spaces once line feeds
    # are spaces, and then nothing to collapse.
    collapse = "  " in spaced or _odd_space(spaced)
    text = " ".join(text.split()) if collapse else spaced.strip(" ")
    items = _ITEM in text
    if _BREAK in text:
        text = text.replace(" " + _BREAK, _BREAK).replace(_BREAK + " ", _BREAK)
        text = text.replace(_BREAK, "\n")
    if _PARAGRAPH in text:  # without the spaces around it; several in a row read as one
        text = "\n\n".join(filter(None, map(str.strip, text.split(_PARAGRAPH), repeat(" "))))
    if items:
        text = text.replace(" " + _ITEM, _ITEM).replace(_ITEM + " ", _ITEM)
        text = text.replace(_ITEM, "\n- ").replace("- \n", "-\n")  # "-\n": an empty item
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip(" \n")


def _odd_space(text: str) -> bool:
    """Whether ``text`` holds white space other than spaces and line feeds."""
    if text.isascii():
        return any(space in text for space in _ASCII_SPACES)
    return _ODD_SPACE.search(text) is not None


def _interleave(texts: list[str], marks: list[str]) -> str:
    """``texts[0] + marks[0] + texts[1] + ...``: ``texts`` has one item more than ``marks``."""
    pieces = [""] * (len(texts) + len(marks))
    pieces[0::2] = texts
    pieces[1::2] = marks
    return "".join(pieces)


def _span(texts: list[str], marks: list[str], start: int, stop: int) -> str:
    """``texts[start]`` to ``texts[stop]`` with the marks of the tags between them."""
    if start == stop:
        return texts[start]
    return _interleave(texts[start : stop + 1], marks[start:stop])


def _flat(text: str) -> str:
    """``text`` as a link's text is compared: markers read as spaces, white space collapsed."""
    if _ITEM in text:
        text = text.replace(_ITEM, " - ")
    return _FLAT_SPACES.sub(" ", text)


def _target(attributes: str, text: str) -> str:
    """What follows the text of a link that holds no other: its target, unless that is its text
    or a ``#`` anchor."""
    href = (attribute(attributes, "href") or "").strip()
    if not href or href.startswith("#"):
        return ""
    text = _flat(text).strip()
    if text == href.removeprefix("mailto:"):
        return ""
    return f" ({href})" if text else href


class _Renderer:
    """Joins texts and the marks of tags, and acts on the tags that change what follows them.

    Text inside ``head``, ``title``, ``script`` or ``style`` is dropped (their marks are kept).
    A link's text is needed at its ``</a>`` (to tell whether its target must be shown), and
    links nest. To keep that linear, while a link is open the text is also kept "flat": pieces
    with their white space collapsed, never two white-space pieces in a row, with a running count
    of the characters that are not spaces. A link whose text has more such characters than its
    target cannot be equal to it, so only texts no longer than the target are ever joined.
    """

    def __init__(self) -> None:
        self._pieces: list[str] = []
        self._skipping: list[str] = []
        self._skip_counts = dict.fromkeys(_SKIP, 0)
        self._links: list[tuple[str, int, int]] = []  # href, len(self._flat), self._solid
        self._flat: list[str] = []
        self._solid = 0  # characters other than spaces in self._flat

    def feed(self, tokens: Tokens) -> None:
        """Render the next texts and tags."""
        texts, names = tokens.texts, tokens.names
        marks = list(map(_MARK.get, names, repeat("")))
        if not (self._skipping or self._links) and _STATEFUL.isdisjoint(names):
            self._pieces.append(_interleave(texts, marks))
            return
        events = [index for index, name in enumerate(names) if name in _EVENTS]
        events.append(len(names))  # the end, to read past the last event
        start = skip_to = 0  # texts[start:] are still to add
        for index, following in pairwise(events):
            if index < skip_to:  # the end of a link read with its start
                continue
            name = names[index]
            if not (self._skipping or self._links):
                if name == "a" and names[following : following + 1] == ["/a"]:
                    # Nothing to act on inside: the target, if shown, is the mark of its end.
                    text = _span(texts, marks, index + 1, following)
                    marks[following] = _target(tokens.attributes(index), text)
                    skip_to = following + 1
                    continue
                if name not in _STATEFUL:  # "/a", "body" or the end of what is not open
                    continue
            self._add_span(texts, marks, start, index)
            start = index + 1
            if name in _SKIP:
                self._skipping.append(name)
                self._skip_counts[name] += 1
            elif name == "a":
                href = (attribute(tokens.attributes(index), "href") or "").strip()
                self._links.append((href, len(self._flat), self._solid))
            elif name == "/a":
                if self._links:
                    self._end_link()
            elif name == "body":
                self._skipping.clear()  # a <head> that was never closed
                self._skip_counts = dict.fromkeys(_SKIP, 0)
            else:  # the end tag of a skipped element
                self._end_skip(name[1:])
        self._add_span(texts, marks, start, len(names))

    def text(self) -> str:
        """All that was rendered: text with white space as given, and markers."""
        return "".join(self._pieces)

    def _add_span(self, texts: list[str], marks: list[str], start: int, stop: int) -> None:
        """Add ``texts[start]`` to ``texts[stop]`` and the marks between them."""
        span = "".join(marks[start:stop]) if self._skipping else _span(texts, marks, start, stop)
        if span:
            self._add(span)

    def _add(self, piece: str) -> None:
        self._pieces.append(piece)
        if self._links:
            flat = _flat(piece)
            if flat != " " or (self._flat and self._flat[-1][-1] != " "):
                self._flat.append(flat)
                self._solid += len(flat) - flat.count(" ")

    def _end_skip(self, tag: str) -> None:
        if self._skip_counts[tag]:
            while (closed := self._skipping.pop()) != tag:
                self._skip_counts[closed] -= 1
            self._skip_counts[tag] -= 1

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
                self._add(href if empty else f" ({href})")
        if not self._links:
            self._flat.clear()
            self._solid = 0
