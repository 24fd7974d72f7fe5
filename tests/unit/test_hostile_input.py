"""Hostile bodies cost time linear in their size: the HTML sniff and the HTML-to-text rendering.

Each test compares the CPU time on an input 16 times larger with that on the small one
(``support.growth``): linear code gives about 16, the quadratic code these tests were written
against gave 200 and more. The bound, 64, leaves room for a busy machine.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smtp_connector.mail.html_text import html_to_text
from smtp_connector.mail.request import SNIFF_CHARS, looks_like_html
from support.growth import growth

SMALL = 2_000
FACTOR = 16
MOST = 64  # linear: ~16; quadratic: ~256

Shape = tuple[str, str, str]
"""``(prefix, unit, closer)``: the input is ``prefix + unit * n + closer * n``."""

HTML_SHAPES: list[Shape] = [
    ("", "<a", ""),  # CPython's html.parser before 3.11.13 (CVE-2025-6069)
    ("", "<a href=x>", ""),  # nested links, never closed
    ("", "<a href=x>", "</a>"),  # nested links: each </a> re-read all the text since its <a>
    ("", "<a href=xxxxxxxxxxxx>y", "</a>"),
    ("<a href=xxxxxxxxxxxxxxxx>", "<br>", "</a>"),
    ("", "<!--", ""),
    ("", "&", ""),
    ("", "&#1", ""),
    ("", "<", ""),
    ("", "</", ""),
    ("", "<!", ""),
    ("<p ", "=", ""),
    ("<a ", '"', ""),
    ("<a ", '=""', ""),
    ("", "<title>", "</head>"),
    ("<script>", "</scrip", ""),
    ("", "<li>", ""),
    ("", "<p>", ""),  # tags with nothing between them: the simple-HTML path
    ("", "<b x='1'>", ""),
    ("", "<a href='x'>y", "</a>"),
    ("<p x='", "<a>", ""),  # a quoted value left open, in HTML otherwise simple
]
SNIFF_SHAPES: list[Shape] = [
    ("<p ", "=", ""),  # the sniff regex backtracked over every split of the run around '='
    ("<p ", "= ", ""),
    ("<a ", "href ", ""),
    ("<a href", " ", ""),
    ("", "<p ", ""),
    ("<p", " ", ""),
    ("</a", "0", ""),
    ("<!doctype", " ", ""),
    ("", "<a", ""),
    ("", "<", ""),
]
MARKUP = st.text(alphabet="<>/!?-=\"' &#;:ahrefpbtil\n", min_size=1, max_size=8)
RANDOM_SHAPES = st.tuples(MARKUP, MARKUP, st.one_of(st.just(""), MARKUP))


def sized(shape: Shape, chars: int) -> str:
    prefix, unit, closer = shape
    count = max(1, chars // (len(unit) + len(closer)))
    return prefix + unit * count + closer * count


def assert_linear(function: Callable[[str], object], shape: Shape) -> None:
    small, large = sized(shape, SMALL), sized(shape, SMALL * FACTOR)
    ratio = growth(function, small, large)
    assert ratio < MOST, f"{shape!r}: {FACTOR}x the input took {ratio:.0f}x the time"


@pytest.mark.parametrize("shape", HTML_SHAPES, ids=repr)
def test_html_to_text_is_linear_on_hostile_shapes(shape: Shape) -> None:
    assert_linear(html_to_text, shape)


@settings(max_examples=25, deadline=None)
@given(RANDOM_SHAPES)
def test_html_to_text_is_linear_on_any_repeated_markup(shape: Shape) -> None:
    assert_linear(html_to_text, shape)


@pytest.mark.parametrize("shape", SNIFF_SHAPES, ids=repr)
def test_sniffing_is_linear_on_hostile_shapes(shape: Shape) -> None:
    assert_linear(looks_like_html, shape)


@settings(max_examples=25, deadline=None)
@given(RANDOM_SHAPES)
def test_sniffing_is_linear_on_any_repeated_markup(shape: Shape) -> None:
    assert_linear(looks_like_html, shape)


@pytest.mark.parametrize(
    "shape",
    [
        ("<a ", "=", ""),
        ("<a ", "x ", ""),
        ("", "<", ""),
        ("<a ", "'", ""),
        ("", "<p>", ""),
        ("<script>", "</scrip", ""),
    ],
    ids=repr,
)
def test_html_to_text_memory_is_linear(shape: Shape) -> None:
    """Regular expressions that repeat a group keep state per repetition (hundreds of bytes)."""
    html = sized(shape, 256_000)
    tracemalloc.start()
    try:
        html_to_text(html)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * len(html), f"{peak:,} bytes for {len(html):,} characters"


def test_only_the_start_of_a_body_is_sniffed() -> None:
    assert looks_like_html("<p>" + "x" * 1_000_000)
    assert not looks_like_html("x" * SNIFF_CHARS + "<p>late</p>")
