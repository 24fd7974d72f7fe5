"""The single-pass HTML-to-text gives exactly the text of the earlier per-tag scanner, on any HTML.

The earlier code is kept in ``support.html_text_reference`` as the oracle. The generated HTML
mixes every construct either reads differently: tags in any case with attributes quoted, unquoted
or broken, links (nested, empty, ``mailto:``, ``#``), lists, tables, skipped elements, raw text,
comments and declarations, references, white space of every kind, non-ASCII scripts, and input
cut anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import unescape

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from smtp_connector.mail.html_scan import WINDOW, Tokens, decode, tokenize
from smtp_connector.mail.html_text import html_to_text
from support.html_text_reference import html_to_text as reference_text

# fmt: off
NAMES = [
    "p", "div", "br", "li", "ul", "ol", "td", "th", "tr", "table", "a", "b", "i", "span",
    "script", "style", "head", "title", "body", "html", "h1", "h6", "hr", "blockquote", "img",
    "P", "Div", "BR", "Li", "A", "B", "SCRIPT", "sCrIpT", "Style", "HEAD", "Title", "BODY", "Td",
    "a<b",
    'p"x',
    "a='x",
    "scriptx",
    "styles",
    "\u017fcript",  # long s: ASCII "s" only under re.IGNORECASE
    "bloc\u212aquote",  # the Kelvin sign lowers to "k": a block tag
    "x-y",
    "svg:a",
]
# fmt: on
# The tags that change state or add a mark, drawn more often so that they meet in one document.
STRUCTURE = ["a", "p", "br", "li", "td", "body", "head", "title", "script", "style", "A", "TITLE"]
SPACES = [" ", "  ", "\t", "\n", "\r\n", "\f", "\x0b", "\xa0", "\u2003", "\x1c", "\u3000", ""]
WORDS = [
    "Hello",
    "Jane Doe",
    "a quote",
    "-",
    "- ",
    "x",
    "(",
    "https://e.com",
    "e.com",
    "me@example.com",
    "mailto:me@example.com",
    "#top",
    "Σίσυφος ΣΑΣ",  # final sigma
    "Привет",
    "日本語のテキスト",
    "مرحبا بالعالم",
    "שלום",
    "नमस्ते",
    "e\u0301",  # combining accent
    "😀👍🏽",
    "İstanbul",
    "\x00",
    "\x01",
    "\x02",
    "\x03",
    "a < b",
    "1<2",
    "<3",
    "< ",
    ">",
    "=",
    '"',
    "'",
    "--",
    "]]>",
]
REFERENCES = [
    "&amp;",
    "&amp",
    "&AMP;",
    "&lt;",
    "&gt",
    "&nbsp;",
    "&nbsp",
    "&eacute;",
    "&notit;",
    "&notin;",
    "&not",
    "&ampx",
    "&#65;",
    "&#65",
    "&#x41;",
    "&#X41",
    "&#x1F600;",
    "&#0;",
    "&#1;",
    "&#128;",
    "&#xD800;",
    "&#99999999;",
    "&#",
    "&#x",
    "&",
    "& ",
    "&;",
    "&CounterClockwiseContourIntegral;",
    "&CounterClockwiseContourIntegra",
    "&xyz;",
    "&" + "a" * 40 + ";",
]
HREFS = [
    "https://e.com",
    "https://e.com/?a=1&amp;b=2",
    "mailto:me@example.com",
    "#top",
    "",
    " x ",
    "x",
    "-",
    "- x",
]

spaces = st.sampled_from(SPACES)
words = st.sampled_from(WORDS)
references = st.sampled_from(REFERENCES)
texts = st.lists(st.one_of(words, references, spaces), max_size=6).map("".join)


@st.composite
def attributes(draw: st.DrawFn) -> str:
    """Attributes in every form the tokenizer tells apart, broken ones included."""
    out = []
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(["href", "HREF", "title", "class", "x", "=", "'", '"', "/"]))
        value = draw(st.sampled_from([*HREFS, "a>b", "it's", 'say "hi"', "&quot;", "x y"]))
        form = draw(st.integers(0, 9))
        if form == 0:
            out.append(name)
        elif form == 1:
            out.append(f"{name}={value.replace(' ', '')}")
        elif form == 2:
            out.append(f'{name}="{value}"')
        elif form == 3:
            out.append(f"{name}='{value}'")
        elif form == 4:
            out.append(f'{name} = "{value}"')
        elif form == 5:
            out.append(f"{name}=\t\n'{value}'")
        elif form == 6:
            out.append(f'{name}=\xa0"{value}"')  # not an HTML space: the quote is a character
        elif form == 7:
            out.append(f'{name}"{value}"')  # quotes with no '=' before them
        elif form == 8:
            out.append(f'{name}="{value}')  # never closed
        else:
            out.append(f"{name}={draw(spaces)}{draw(st.sampled_from(['', '=', '>', '/']))}")
    separator = draw(st.sampled_from([" ", "\n", "/", "  ", "\xa0"]))
    return "".join(separator + item for item in out)


@st.composite
def tags(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(STRUCTURE) | st.sampled_from(NAMES))
    slash = draw(st.sampled_from(["", "", "/"]))
    close = draw(st.sampled_from([">", ">", ">", " >", "/>", ""]))
    return f"<{slash}{name}{draw(attributes())}{close}"


@st.composite
def links(draw: st.DrawFn) -> str:
    href = draw(st.sampled_from(HREFS))
    quote = draw(st.sampled_from(['"', "'", ""]))
    inner = draw(st.lists(st.one_of(texts, tags(), st.just(href)), max_size=4))
    end = draw(st.sampled_from(["</a>", "</A >", ""]))
    return f"<a href={quote}{href}{quote}>{''.join(inner)}{end}"


@st.composite
def raw_text(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(["script", "style", "SCRIPT", "Style"]))
    body = draw(
        st.lists(st.one_of(texts, tags(), st.sampled_from(["</scrip", "</p>"])), max_size=3)
    )
    end = draw(
        st.sampled_from(
            [
                f"</{name}>",
                f"</{name.upper()} >",
                f"</{name}/>",
                f"</{name}",
                "</\u017fcript>",
                "</scriptx>",
                "",
            ]
        )
    )
    return f"<{name}{draw(attributes())}>{''.join(body)}{end}"


# HTML whose '<' and '>' alternate, as most generated mail is: the tokenizer's fast path, which
# must still notice a tag that does not start with a letter or a quoted value left open.
simple_texts = texts.map(lambda text: text.replace("<", "").replace(">", ""))


@st.composite
def simple_tags(draw: st.DrawFn) -> str:
    name = draw(
        st.sampled_from(STRUCTURE)
        | st.sampled_from(NAMES).map(lambda name: name.replace("<", ""))
        | st.sampled_from([" p", "/ p", "//b", "!x", "?x", "3", "", "/", "a\u2003", "p\t"])
    )
    slash = draw(st.sampled_from(["", "", "/"]))
    return f"<{slash}{name}{draw(attributes()).replace('>', '')}>"


simple_documents = st.lists(simple_texts | simple_tags(), max_size=30).map("".join)
declarations = st.sampled_from(
    [
        "<!-- note -->",
        "<!---->",
        "<!-->",
        "<!--->",
        "<!-- a -- b --!>",
        "<!-- <p>hidden</p> -->",
        "<!--[if mso]><table><![endif]-->",
        "<!--",
        "<!DOCTYPE html>",
        "<!doctype html",
        "<?xml version='1.0'?>",
        "</ x>",
        "</>",
        "</3>",
        "<!>",
        "<?",
    ]
)
# Well-formed tags that matter, so that they meet in many orders.
plain_tags = st.sampled_from(
    [
        *(f"<{name}>" for name in STRUCTURE),
        *(f"</{name}>" for name in STRUCTURE),
        *(f'<a href="{href}">' for href in HREFS),
    ]
)
# Fewer of them, to meet more often: nested and crossed skipped elements, links around them.
skeletons = st.lists(
    st.sampled_from(
        [
            *["<head>", "</head>", "<title>", "</title>", "<style>", "</style>", "<body>"],
            *["</a>", "<li>", "<br>", "<p>", "</td>"],
            '<a href="x">',
            '<a href="- x">',
            "x",
            "-",
            " ",
        ]
    ),
    min_size=6,
    max_size=30,
).map("".join)
fragments = st.one_of(
    texts,
    texts,
    tags(),
    plain_tags,
    links(),
    raw_text(),
    declarations,
)
documents = st.lists(fragments, max_size=25).map("".join)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
@example("<html><body>\n<p>Lead 01: Jane Doe asked for <b>a quote</b>.</p>\n</body></html>")
@example('<a href="https://e.com"><a href="https://e.com">https://e.com</a>x</a>')
@example("<head><title>T</title><p>x</p><body><li>a<br><td>b</td>")
def test_same_text_as_the_reference_on_generated_html(html: str) -> None:
    assert html_to_text(html) == reference_text(html)


@settings(max_examples=1000, deadline=None)
@given(skeletons)
@example("<head><title><head></title></head>x</head>y")  # </title> closes the inner <head> too
@example("<title>a<head>b<body>c</title>d</head>e")  # <body> ends whatever was skipped
def test_same_text_as_the_reference_on_tag_skeletons(html: str) -> None:
    assert html_to_text(html) == reference_text(html)


@settings(max_examples=600, deadline=None)
@given(simple_documents)
@example('<b x="1">a</b>< p>')  # '< ' is text, in every tag the quotes close
@example('<a href="x">y</a><//b><p title="t>')
@example('<a href="https://e.com"><>')  # an empty tag after quotes
def test_same_text_as_the_reference_on_simple_html(html: str) -> None:
    assert html_to_text(html) == reference_text(html)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="<>/!?-=\"' \t\n&#;:ahrefpbtilscyd\xa0\x00\x01Σ", max_size=60))
def test_same_text_as_the_reference_on_markup_soup(html: str) -> None:
    assert html_to_text(html) == reference_text(html)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_same_text_as_the_reference_on_any_text(html: str) -> None:
    assert html_to_text(html) == reference_text(html)


def _joined(parts: Iterable[Tokens]) -> list[object]:
    """Texts and tags (name, attributes) in order, texts cut between windows joined again."""
    out: list[object] = []
    text = ""
    for tokens in parts:
        for index, name in enumerate(tokens.names):
            out += [text + tokens.texts[index], (name, name and tokens.attributes(index))]
            text = ""
        text += tokens.texts[-1]
    return [*out, text]


@settings(max_examples=300, deadline=None)
@given(documents | simple_documents | skeletons, st.integers(1, 40))
@example("<script></p></scriptx>", 5)  # a window ending in "</script" of "</scriptx>"
def test_html_read_in_windows_has_the_same_texts_and_tags(html: str, window: int) -> None:
    assert _joined(tokenize(html, window)) == _joined(tokenize(html))


@settings(max_examples=10, deadline=None)
@given(documents | simple_documents)
def test_same_text_as_the_reference_on_html_longer_than_a_window(html: str) -> None:
    html = "<p>" + html * (2 * WINDOW // (len(html) + 3) + 1)
    assert html_to_text(html) == reference_text(html)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                *REFERENCES,
                *("&nbsp;", "&quot;", "&lt;", "&gt;", "&rsquo;", "&mdash;", "&ndash;", "&copy;"),
                *("&hellip;", "&amp;lt;", "&amp;amp;", "&lt", "&ltx;", "&rsquo", "&nbspx", ";"),
            ]
        )
        | words,
        max_size=12,
    ).map("".join)
)
def test_references_are_decoded_as_the_standard_library_does(text: str) -> None:
    assert decode(text) == unescape(text)
