"""Template syntax: what a string in a definition means, and how a bad one is refused.

Vectors from WORKFLOWS.md §1.5: the WDL syntax table, IllogicApps' language tests (reproduced
against the real runtime) and the designer's parser tests.
"""

from __future__ import annotations

from typing import Any

import pytest

from smtp_connector.workflows.expressions import (
    ExpressionLimitExceeded,
    ExpressionSyntaxError,
    StaticContext,
    UnknownFunction,
    is_template,
    parse_template,
)
from smtp_connector.workflows.expressions.ast import Call, Dereference, Literal, calls
from smtp_connector.workflows.expressions.parser import MAX_LENGTH, parse_expression

CTX = StaticContext(
    parameters={"myBirthMonth": "January", "myAge": 42},
    variables={"myString": "abcdefg", "myInteger": 1234},
)


def run(text: str, ctx: StaticContext = CTX) -> Any:
    return parse_template(text).evaluate(ctx)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sophia Owen", "Sophia Owen"),
        ("array[1]", "array[1]"),
        ("@@", "@"),
        (" @", " @"),
        ("@parameters('myBirthMonth')", "January"),
        ("@{parameters('myBirthMonth')}", "January"),
        ("@{parameters('myAge')}", "42"),
        ("My age is @{parameters('myAge')}", "My age is 42"),
        ("My age is @@{parameters('myAge')}", "My age is @{parameters('myAge')}"),
        ("@{variables('myString')}@{variables('myInteger')}", "abcdefg1234"),
    ],
)
def test_wdl_syntax_table(text: str, expected: str) -> None:
    assert run(text) == expected


def test_a_whole_value_expression_keeps_its_json_type() -> None:
    assert run("@parameters('myAge')") == 42
    assert type(run("@parameters('myAge')")) is int


@pytest.mark.parametrize("text", ["str", "1", "null", "[]", "{}", "", " @@,,}", " @,,}", "@"])
def test_text_without_templates_passes_through(text: str) -> None:
    template = parse_template(text)
    assert template.is_literal
    assert template.evaluate(CTX) == text


@pytest.mark.parametrize(
    "text", ["@@unparsed!", "@@{still unparsed}", "@@,,}", "@@{'abc'}@{'def'}@@{'ghi'}j@{'kl'}"]
)
def test_a_leading_double_at_makes_the_rest_literal(text: str) -> None:
    assert parse_template(text).is_literal
    assert run(text) == text[1:]


@pytest.mark.parametrize(
    ("text", "expected"), [("@null", None), ("@true", True), ("@false", False)]
)
def test_keyword_literals(text: str, expected: Any) -> None:
    assert run(text) is expected


@pytest.mark.parametrize(("text", "expected"), [("@1", 1), ("@-51", -51), ("@+54", 54)])
def test_integer_literals(text: str, expected: int) -> None:
    value = run(text)
    assert value == expected
    assert type(value) is int


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@0.5", 0.5),
        ("@+.5", 0.5),
        ("@+1.", 1.0),
        ("@+15.75", 15.75),
        ("@-01.0", -1.0),
        ("@3e1", 30.0),
        ("@3.2e1", 32.0),
        ("@0.9e+1", 9.0),
        ("@3.2e-1", 0.32),
    ],
)
def test_float_literals(text: str, expected: float) -> None:
    value = run(text)
    assert value == expected
    assert type(value) is float


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@{1}", "1"),
        ("@{-51}", "-51"),
        ("@{+54}", "54"),
        ("@{3e1}", "30"),
        ("@{+1.}", "1"),
        ("@{0.5}", "0.5"),
        ("@{+.5}", "0.5"),
        ("@{+15.75}", "15.75"),
        ("@{-01.0}", "-1"),
        ("@{3.2e1}", "32"),
        ("@{0.9e+1}", "9"),
        ("@{3.2e-1}", "0.32"),
        ("@{true}", "True"),
        ("@{false}", "False"),
        ("@{null}", ""),
    ],
)
def test_interpolated_literals_render_like_dotnet(text: str, expected: str) -> None:
    assert run(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@'test'", "test"),
        ("@'don''t worry'", "don't worry"),
        ("@{'test'}", "test"),
        ("@{'don''t worry'}", "don't worry"),
        ("foo @{'bar'} baz", "foo bar baz"),
        ("@{'h'}@{'e'}@{'l'}@{'l'}@{'o'}", "hello"),
        ("@{'hello'} @{'world'}", "hello world"),
        ("testing @@{'blah'} @{'thing'}", "testing @{'blah'} thing"),
        ("@{'a}b'}", "a}b"),
        ("@{'it''s } here'}!", "it's } here!"),
        ("x@@@{y}", "x@@{y}"),
    ],
)
def test_strings_and_interpolation(text: str, expected: str) -> None:
    assert run(text) == expected


def test_function_names_ignore_case() -> None:
    assert run("@PARAMETERS('myAge')") == 42
    assert run("@{Variables('myString')}") == "abcdefg"


@pytest.mark.parametrize(
    "text",
    [
        "@'a','b','c'",
        "@{'a','b','c'}",
        "@'a'}",
        "@{'a'",
        " @{",
        "@()",
        "@{()}",
        "@{}",
        "@concat",
        "@{concat}",
        "@trigger()('c')",
        "@{trigger()('c')}",
        "@+",
        "@{+}",
        "@+1e",
        "@{+1e}",
        "@1e",
        "@{1e}",
        "@1e+",
        "@{1e+}",
        "@1e1.1",
        "@{1e1.1}",
        "@++1",
        "@{++1}",
        "@--1",
        "@{--1}",
        '@string( { "name": "Sophie Owen" } )',
        "@'unterminated",
        "@1abc",
        "@'a'.b",
        "@trigger()?",
        "@trigger()?x",
        "@trigger().'x'",
        '@"quoted"',
        "@trigger(",
        "@parameters('a' b)",
    ],
)
def test_unparseable_expressions_are_syntax_errors(text: str) -> None:
    with pytest.raises(ExpressionSyntaxError):
        parse_template(text)


def test_parse_error_is_worded_like_the_runtime() -> None:
    text = "@parameters('a' b)"
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse_template(text)
    assert caught.value.message == (
        "Unable to parse template language expression 'parameters('a' b)': "
        "expected token 'RightParenthesis' and actual 'Identifier'."
    )
    assert caught.value.column == text.index(" b") + 2


def test_columns_count_from_the_start_of_the_template_string() -> None:
    text = "Dear @{parameters('a')}, your order @{parameters('b' 'c')} shipped"
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse_template(text)
    assert caught.value.column == text.index("'c'") + 1
    assert "'parameters('b' 'c')'" in caught.value.message


def test_an_unclosed_interpolation_points_at_its_opening() -> None:
    text = "Hello @{parameters('a')"
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse_template(text)
    assert caught.value.column == text.index("@{") + 1


def test_an_unexpected_character_is_named_with_its_column() -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse_template("@'a'}")
    assert "the string character '}' at position '3' is not expected" in caught.value.message
    assert caught.value.column == 5


def test_an_unterminated_string_is_reported() -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse_template("@parameters('abc)")
    assert "not terminated" in caught.value.message
    assert caught.value.column == len("@parameters(") + 1


def test_double_quotes_are_reported_as_such() -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse_template('@parameters("x")')
    assert "double quotes" in caught.value.message


def test_an_unknown_function_is_refused_at_parse_time() -> None:
    text = "Total: @{nope(1)}"
    with pytest.raises(UnknownFunction) as caught:
        parse_template(text)
    assert caught.value.message == "The template function 'nope' is not defined or not valid."
    assert caught.value.name == "nope"
    assert caught.value.column == text.index("nope") + 1


@pytest.mark.parametrize(
    ("text", "expects", "given"),
    [
        ("@if(true, 1)", "three parameters", "two"),
        ("@not(true, false)", "one parameter", "two"),
        ("@trigger(1)", "no parameters", "one"),
        ("@and()", "at least one parameter", "zero"),
    ],
)
def test_arity_is_checked_at_parse_time(text: str, expects: str, given: str) -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse_template(text)
    name = text[1 : text.index("(")]
    assert caught.value.message == (
        f"The template language function '{name}' expects {expects}; it was given {given}."
    )
    assert caught.value.column == 2


def test_a_safe_dot_is_one_safe_dereference() -> None:
    node = parse_expression("triggerBody()?.foo")
    assert isinstance(node, Dereference)
    assert node.safe
    assert node.key == Literal("foo", 15)
    assert isinstance(node.target, Call)
    assert node.target.function.name == "triggerBody"


def test_nodes_keep_their_offsets_in_the_expression() -> None:
    node = parse_expression("if(true, parameters('a')['b'], 2)")
    assert isinstance(node, Call)
    assert node.offset == 0
    condition, chosen, other = node.args
    assert condition == Literal(True, 3)
    assert isinstance(chosen, Dereference)
    assert (chosen.offset, chosen.safe, chosen.key) == (24, False, Literal("b", 25))
    assert isinstance(chosen.target, Call)
    assert chosen.target.offset == 9
    assert other == Literal(2, 31)


def test_calls_lists_every_call_in_source_order() -> None:
    node = parse_expression("if(equals(body('A')?['x'], 1), outputs('B'), item())")
    names = [call.function.name for call in calls(node)]
    assert names == ["if", "equals", "body", "outputs", "item"]


def test_slash_paths_split_directly_on_outputs() -> None:
    node = parse_expression("outputs('Get')?['body/value']")
    assert isinstance(node, Dereference)
    assert node.key == Literal("value", node.key.offset)
    assert node.safe
    assert isinstance(node.target, Dereference)
    assert node.target.key == Literal("body", node.target.key.offset)
    assert isinstance(node.target.target, Call)


@pytest.mark.parametrize("text", ["parameters('p')?['a/b']", "triggerBody()?['x']?['a/b']"])
def test_slash_paths_stay_whole_elsewhere(text: str) -> None:
    node = parse_expression(text)
    assert isinstance(node, Dereference)
    assert isinstance(node.key, Literal)
    assert node.key.value == "a/b"


def test_expressions_up_to_the_limit_parse_and_longer_ones_are_refused() -> None:
    filler = "x" * (MAX_LENGTH - len("parameters('')"))
    assert len(parse_template(f"@parameters('{filler}')").expressions[0].text) == MAX_LENGTH
    with pytest.raises(ExpressionLimitExceeded):
        parse_template(f"@parameters('{filler}x')")
    with pytest.raises(ExpressionLimitExceeded):
        parse_template(f"Hello @{{parameters('{filler}x')}}")


def test_nesting_up_to_64_levels_parses_and_deeper_is_refused() -> None:
    assert run("@" + "not(" * 63 + "true" + ")" * 63) is False
    with pytest.raises(ExpressionLimitExceeded):
        parse_template("@" + "not(" * 64 + "true" + ")" * 64)


def test_deep_nesting_is_refused_without_exhausting_the_stack() -> None:
    with pytest.raises(ExpressionLimitExceeded):
        parse_template("@" + "not(" * 1600 + "true" + ")" * 1600)
    with pytest.raises(ExpressionLimitExceeded):
        parse_template("@trigger()" + "[trigger()" * 1000 + "]" * 1000)


def test_long_dereference_chains_count_as_nesting() -> None:
    assert parse_template("@triggerBody()" + "?.a" * 63).evaluate(CTX) is None
    with pytest.raises(ExpressionLimitExceeded):
        parse_template("@triggerBody()" + "?.a" * 64)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", False),
        ("@", False),
        ("@@", True),
        ("@x", True),
        ("a@{", True),
        ("a@b", False),
        ("a{@}", False),
    ],
)
def test_is_template(text: str, expected: bool) -> None:
    assert is_template(text) is expected


def test_template_lists_its_expressions_with_offsets() -> None:
    template = parse_template("Hi @{parameters('a')} and @{variables('b')}")
    assert [(e.text, e.offset) for e in template.expressions] == [
        ("parameters('a')", 5),
        ("variables('b')", 28),
    ]
    assert not template.is_literal
    assert template.text == "Hi @{parameters('a')} and @{variables('b')}"


def test_whitespace_between_tokens_is_ignored() -> None:
    assert run("@{ parameters ( 'myAge' ) }") == "42"
    assert run("@\u3000parameters(\t'myAge'\n)\u00a0") == 42
