"""Properties of the template language that must hold for any input."""

from __future__ import annotations

import contextlib

from hypothesis import example, given
from hypothesis import strategies as st

from smtp_connector.workflows.expressions import (
    ExpressionError,
    StaticContext,
    parse_template,
)

# Characters that matter to the scanner and the parser, so that random text often gets deep.
GRAMMAR = "@{}()[].,?'\" +-eE019_aZ/\t\u3000"
NAMES = ["if(", "not(", "and(", "or(", "equals(", "coalesce(", "triggerBody()", "trigger()", "true"]
grammar_text = st.text(alphabet=GRAMMAR, max_size=80)
token_soup = st.lists(st.sampled_from([*NAMES, *GRAMMAR]), max_size=60).map("".join)


def parses_or_refuses(text: str) -> None:
    with contextlib.suppress(ExpressionError):
        parse_template(text)


@given(st.text(max_size=200))
@example("@")
@example("@{")
@example("@" + "not(" * 2000)
def test_any_text_parses_or_raises_an_expression_error(text: str) -> None:
    parses_or_refuses(text)


@given(st.one_of(grammar_text, token_soup, st.text(max_size=100)))
def test_any_expression_parses_or_raises_an_expression_error(body: str) -> None:
    parses_or_refuses("@" + body)
    parses_or_refuses("@{" + body + "}")
    parses_or_refuses("text @{" + body)


@given(st.text(max_size=200).filter(lambda text: "@" not in text))
def test_text_without_at_signs_is_itself(text: str) -> None:
    template = parse_template(text)
    assert template.is_literal
    assert template.evaluate(StaticContext()) == text


@given(st.text(max_size=200))
@example("}")
@example("'")
@example("@{'x'}")
def test_a_quoted_string_interpolates_to_itself(text: str) -> None:
    quoted = "'" + text.replace("'", "''") + "'"
    assert parse_template("@{" + quoted + "}").evaluate(StaticContext()) == text
    assert parse_template("@" + quoted).evaluate(StaticContext()) == text
    assert parse_template("<@{" + quoted + "}>").evaluate(StaticContext()) == f"<{text}>"


identifier = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
string_key = st.text(max_size=12).map(lambda key: "'" + key.replace("'", "''") + "'")
step = st.one_of(
    identifier.map(lambda name: "?." + name),
    string_key.map(lambda key: f"?[{key}]"),
    st.integers(-5, 5).map(lambda index: f"?[{index}]"),
)


@given(st.lists(step, min_size=1, max_size=30))
def test_null_safe_chains_on_null_are_null(steps: list[str]) -> None:
    expression = "triggerBody()" + "".join(steps)
    ctx = StaticContext(trigger_record={"outputs": {"body": None}})
    assert parse_template("@" + expression).evaluate(ctx) is None
    assert parse_template("@{" + expression + "}").evaluate(ctx) == ""
