"""HTML-to-text speed: our linear scanner against walking the same HTML with ``html.parser``.

Run: ``python bench/bench_html_text.py [-n 2000]``. The body is ~2 KB of HTML in 40 paragraphs.
The peer only collects the text that ``html.parser`` reports (no links, no layout), so it is a
lower bound for any renderer built on it. CPU time, best of five rounds, per message.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from html.parser import HTMLParser

from smtp_connector.mail.html_text import html_to_text

HTML = "".join(f"<p>Paragraph {i:02d}: the quick brown fox jumps.</p>\n" for i in range(40))


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


def per_message_us(func: Callable[[str], object], number: int) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        for _ in range(number):
            func(HTML)
        best = min(best, time.process_time() - start)
    return best / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=2000, help="messages per round")
    number = parser.parse_args().n
    ours = per_message_us(html_to_text, number)
    peer = per_message_us(html_parser_text, number)
    print(f"HTML body: {len(HTML)} characters, 40 paragraphs")
    print(f"smtp_connector html_to_text   {ours:8.1f} us/message")
    print(f"html.parser (text only)       {peer:8.1f} us/message  ({peer / ours:.1f}x ours)")


if __name__ == "__main__":
    main()
