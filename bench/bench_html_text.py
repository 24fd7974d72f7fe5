"""HTML-to-text speed: our renderer against walking the same HTML with ``html.parser``.

Run: ``python bench/bench_html_text.py [-n 2000]``. Three bodies of 2-4 KB: the message of the
HTTP benchmark (``bench_http.py``: 40 short paragraphs), 40 paragraphs of plain text, and a
newsletter (head, style, a table, 30 links, references). The peer only collects the text that
``html.parser`` reports (no links, no layout), so it is a lower bound for any renderer built on
it. CPU time, best of five rounds, per message.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from html.parser import HTMLParser

from smtp_connector.mail.html_text import html_to_text

LEADS = (
    "<html><body>\n"
    + "".join(f"<p>Lead {i:02d}: Jane Doe asked for <b>a quote</b>.</p>\n" for i in range(1, 41))
    + "</body></html>"
)
PARAGRAPHS = "".join(f"<p>Paragraph {i:02d}: the quick brown fox jumps.</p>\n" for i in range(40))
NEWSLETTER = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>News</title>'
    "<style>body { font-family: sans-serif } p > a { color: #c00 }</style></head>"
    '<body><table width="100%"><tr><td style="padding: 8px">\n'
    + "".join(
        f'<p style="margin: 0">Item {i}: &nbsp;<a href="https://e.com/{i}?a=1&amp;b=2">'
        f'Read more</a> &mdash; <span class="x">now</span></p>\n'
        for i in range(30)
    )
    + "</td></tr></table><!-- footer --><p>Bye</p></body></html>"
)
BODIES = {"HTTP benchmark message": LEADS, "40 paragraphs": PARAGRAPHS, "newsletter": NEWSLETTER}


class _Data(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []

    def handle_data(self, data: str) -> None:
        self.pieces.append(data)


def html_parser_text(html: str) -> str:
    parser = _Data()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.pieces).split())


def per_message_us(func: Callable[[str], object], html: str, number: int) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        for _ in range(number):
            func(html)
        best = min(best, time.process_time() - start)
    return best / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=2000, help="messages per round")
    number = parser.parse_args().n
    for label, html in BODIES.items():
        ours = per_message_us(html_to_text, html, number)
        peer = per_message_us(html_parser_text, html, number)
        print(f"{label} ({len(html)} characters)")
        print(f"  smtp_connector html_to_text   {ours:8.1f} us/message")
        print(f"  html.parser (text only)       {peer:8.1f} us/message  ({peer / ours:.1f}x ours)")


if __name__ == "__main__":
    main()
