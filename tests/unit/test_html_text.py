"""HTML to plain text for the text/plain alternative."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smtp_connector.mail.html_text import html_to_text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("Hello", "Hello"),
        ("<p>One</p><p>Two</p>", "One\n\nTwo"),
        ("<div>A</div><div>B</div>", "A\n\nB"),
        ("<h1>Title</h1>Body", "Title\n\nBody"),
        ("<h6>Small</h6><blockquote>Quoted</blockquote>", "Small\n\nQuoted"),
        ("line<br>break<br/>again", "line\nbreak\nagain"),
        ("<ul><li>one</li><li>two</li></ul>after", "- one\n- two\n\nafter"),
        ("<ol><li>first<li>second</ol>", "- first\n- second"),
        ("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\n\nc"),
    ],
)
def test_block_structure(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_script_style_and_head_are_dropped() -> None:
    html = (
        "<html><head><title>Hidden title</title><style>p { color: red }</style></head>"
        "<body><script>alert('x')</script><p>Visible</p><style>.a{}</style></body></html>"
    )
    assert html_to_text(html) == "Visible"


def test_unclosed_head_does_not_hide_the_body() -> None:
    assert html_to_text("<head><meta charset=utf-8><body><p>Shown</p>") == "Shown"


def test_whitespace_is_collapsed() -> None:
    html = "<p>\n   lots   of\n\t space\u00a0here  </p>\n\n\n<p>  next </p>"
    assert html_to_text(html) == "lots of space here\n\nnext"


def test_entities_are_unescaped() -> None:
    assert html_to_text("<p>Fish &amp; chips &lt;3 &eacute;&#233;&#x1F600; &quot;q&quot;</p>") == (
        'Fish & chips <3 éé😀 "q"'
    )


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ('<a href="https://example.com/x">our site</a>', "our site (https://example.com/x)"),
        ('<a href="https://example.com">https://example.com</a>', "https://example.com"),
        ('<a href="mailto:me@example.com">me@example.com</a>', "me@example.com"),
        ('<a href="mailto:me@example.com">Mail me</a>', "Mail me (mailto:me@example.com)"),
        ('<a href="#top">Top</a>', "Top"),
        ("<a>No href</a>", "No href"),
        ('<a href="https://e.com/?a=1&amp;b=2">q</a>', "q (https://e.com/?a=1&b=2)"),
        ('Go <a href="https://e.com"><b>here</b></a> now', "Go here (https://e.com) now"),
        ('<a href="https://e.com/img"><img src="x.png"></a>', "https://e.com/img"),
    ],
)
def test_links(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_realistic_email() -> None:
    html = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><style>body{font-family:sans-serif}</style></head>
<body>
  <div class="header"><h2>Order #1234 shipped</h2></div>
  <p>Hi Ana,<br>
     your order is on its way.</p>
  <ul>
    <li>Blue mug &times; 2</li>
    <li>Tea &ndash; 100&nbsp;g</li>
  </ul>
  <p>Track it <a href="https://shop.example/track/1234">here</a>.</p>
</body></html>"""
    assert html_to_text(html) == (
        "Order #1234 shipped\n\n"
        "Hi Ana,\nyour order is on its way.\n\n"
        "- Blue mug × 2\n- Tea – 100 g\n\n"
        "Track it here (https://shop.example/track/1234)."
    )


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_never_fails_and_never_leaves_runs_of_blank_lines(html: str) -> None:
    text = html_to_text(html)
    assert "\n\n\n" not in text
    assert text == text.strip("\n")
    for line in text.split("\n"):
        assert line == line.strip(" ")
        assert "  " not in line


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ('<a href="https://e.com/?q=a>b">x</a>', "x (https://e.com/?q=a>b)"),
        ("<a title='x href=bad' href=good>t</a>", "t (good)"),
        ('<a href = "https://e.com" >t</A >', "t (https://e.com)"),
        ('<script>if (a<b) document.write("</p><a href=x>")</script>Shown', "Shown"),
        ("<STYLE>p > a { }</Style >Shown", "Shown"),
        ("<!-- <p>hidden</p> -->Shown<!---->", "Shown"),
        ("<!DOCTYPE html><?xml x?>Shown", "Shown"),
        ("a < b and 1<2, x <= y", "a < b and 1<2, x <= y"),
        ("Shown<a href", "Shown"),  # a tag, comment or value still open at the end is dropped
        ("Shown<!-- never closed <p>x", "Shown"),
        ('Shown<a href="x>y', "Shown"),
    ],
)
def test_markup_is_read_like_browsers_read_it(html: str, text: str) -> None:
    assert html_to_text(html) == text
