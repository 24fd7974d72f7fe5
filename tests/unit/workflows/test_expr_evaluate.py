"""Evaluation: property access, null-safety, laziness, errors, and whole compiled values."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from smtp_connector.workflows.expressions import (
    ExpressionEvaluationError,
    ExpressionLimitExceeded,
    ExpressionSyntaxError,
    StaticContext,
    UnknownFunction,
    compile_value,
    iter_strings,
    parse_template,
)
from smtp_connector.workflows.expressions.compile import MAX_NESTING
from smtp_connector.workflows.expressions.values import STRING_LIMIT

USAGE = "Please see https://aka.ms/logicexpressions for usage details."


def run(text: str, ctx: StaticContext | None = None) -> Any:
    return parse_template(text).evaluate(ctx or StaticContext())


def with_parameter(value: Any) -> StaticContext:
    return StaticContext(parameters={"p": value})


def failure(text: str, ctx: StaticContext | None = None) -> str:
    with pytest.raises(ExpressionEvaluationError) as caught:
        run(text, ctx)
    return caught.value.message


@pytest.mark.parametrize(
    ("value", "expression", "expected"),
    [
        ({"abCDef": 123}, "parameters('p').abcdef", 123),
        ({"abCDef": 123}, "parameters('p')?.abcdef", 123),
        ({"abCDef": 123}, "parameters('p').AbcdEF", 123),
        ({"abCDef": 123}, "parameters('p')['abcdef']", 123),
        ({"abCDef": 123}, "parameters('p')?['abcdef']", 123),
        ({"abCDef": 123}, "parameters('p')['AbcdEF']", 123),
        ({"a": 1, "A": 2}, "parameters('p').a", 1),
        ({"a": 1, "A": 2}, "parameters('p').A", 2),
        ({"A": 1, "a": 2}, "parameters('p').a", 2),
        ({"A": 1, "a": 2}, "parameters('p').A", 1),
        ({"aAa": 1, "AaA": 2}, "parameters('p').aaa", 1),
        ({"AaA": 1, "aAa": 2}, "parameters('p').aaa", 1),
        ({"aAa": 1, "AaA": 2}, "parameters('p').AAA", 1),
    ],
)
def test_property_names_match_ignoring_case_exact_case_first(
    value: dict[str, int], expression: str, expected: int
) -> None:
    assert run(f"@{expression}", with_parameter(value)) == expected


def test_a_missing_property_is_an_error_worded_like_the_runtime() -> None:
    message = failure("@parameters('p').x", with_parameter({"a": 1, "b": 2}))
    assert message == (
        "The template language expression 'parameters('p').x' cannot be evaluated because "
        f"property 'x' doesn't exist, available properties are 'a, b'. {USAGE}"
    )


def test_a_missing_property_is_null_with_a_question_mark() -> None:
    ctx = with_parameter({"a": 1})
    assert run("@parameters('p')?.x", ctx) is None
    assert run("@parameters('p')?['x']", ctx) is None
    assert run("@{parameters('p')?['x']}", ctx) == ""


def test_a_property_of_null_needs_a_question_mark() -> None:
    ctx = with_parameter({"a": None})
    assert run("@parameters('p')?['a']?['b']", ctx) is None
    message = failure("@parameters('p')?['a']['b']", ctx)
    assert "property 'b' cannot be selected" in message
    assert "values of type 'Null'" in message


def test_each_question_mark_guards_only_its_own_step() -> None:
    ctx = with_parameter({})
    message = failure("@parameters('p')?['a'].b", ctx)
    assert "property 'b' cannot be selected" in message


@pytest.mark.parametrize("value", ["text", 5, 1.5, True])
def test_scalars_have_no_properties_even_with_a_question_mark(value: Any) -> None:
    message = failure("@parameters('p')?.length", with_parameter(value))
    assert "Property selection is not supported" in message


def test_arrays_take_integer_indexes() -> None:
    ctx = with_parameter([10, 20, 30])
    assert run("@parameters('p')[0]", ctx) == 10
    assert run("@parameters('p')?[2]", ctx) == 30
    assert run("@parameters('p')?[3]", ctx) is None
    assert run("@parameters('p')?[-1]", ctx) is None
    message = failure("@parameters('p')[3]", ctx)
    assert "array index '3' is outside bounds (0, 2) of array" in message
    message = failure("@parameters('p')['0']", ctx)
    assert "Array elements can only be selected using an integer index" in message
    assert "integer index" in failure("@parameters('p')[true]", ctx)


def test_index_expressions_are_evaluated() -> None:
    ctx = StaticContext(parameters={"p": {"key": "value"}, "k": "KEY"}, variables={"i": 1})
    assert run("@parameters('p')[parameters('k')]", ctx) == "value"
    ctx = StaticContext(parameters={"p": ["a", "b"]}, variables={"i": 1})
    assert run("@parameters('p')[variables('i')]", ctx) == "b"


def test_slash_paths_reach_into_outputs_body_and_the_trigger() -> None:
    ctx = StaticContext(
        actions={"Get": {"outputs": {"body": {"value": [1, 2], "a": {"b": "deep"}}}}},
        trigger_record={"outputs": {"headers": {"X-Id": "7"}, "body": {"a": {"b": "t"}}}},
    )
    assert run("@outputs('Get')?['body/value']", ctx) == [1, 2]
    assert run("@body('Get')?['a/b']", ctx) == "deep"
    assert run("@triggerOutputs()?['headers/x-id']", ctx) == "7"
    assert run("@triggerBody()['a/b']", ctx) == "t"


def test_slash_paths_are_one_name_elsewhere() -> None:
    ctx = with_parameter({"a/b": "whole", "a": {"b": "split"}})
    assert run("@parameters('p')?['a/b']", ctx) == "whole"
    body = {"x": {"a/b": "whole", "a": {"b": "split"}}}
    ctx = StaticContext(trigger_record={"outputs": {"body": body}})
    assert run("@triggerBody()?['x']?['a/b']", ctx) == "whole"


def test_if_evaluates_only_the_branch_taken() -> None:
    assert run("@if(true, 1, not('x'))") == 1
    assert run("@if(false, not('x'), 2)") == 2
    assert "'not'" in failure("@if(true, not('x'), 2)")
    assert "'not'" in failure("@if(false, 1, not('x'))")


def test_and_stops_at_the_first_false() -> None:
    assert run("@and(false, not('x'))") is False
    assert run("@and(and(and(true,true),false),not('x'))") is False
    assert "'not'" in failure("@and(not('x'), false)")
    assert "'not'" in failure("@and(and(and(true,true),true),not('x'))")


def test_or_stops_at_the_first_true() -> None:
    assert run("@or(true, variables('missing'))") is True
    assert run("@or(or(or(false,false),true),variables('missing'))") is True
    assert "'missing'" in failure("@or(variables('missing'), true)")
    assert "'missing'" in failure("@or(or(or(false,false),false),variables('missing'))")


def test_coalesce_stops_at_the_first_non_null() -> None:
    assert run("@coalesce(null, 'a', not('x'))") == "a"
    assert run("@coalesce(null, '', 'b')") == ""
    assert run("@coalesce(null, null)") is None
    assert "'not'" in failure("@coalesce(null, not('x'), 'a')")


def test_nested_lazy_functions() -> None:
    a, b, c = "variables('a')", "variables('b')", "variables('c')"
    message = failure(f"@if(if(true,false,true),if(true,{a},{b}),if(true,{c},4))")
    assert "variable 'c'" in message
    message = failure(f"@if(if(false,false,true),if(false,{a},{b}),if(false,{c},4))")
    assert "variable 'b'" in message
    assert run(f"@if(if(false,false,true),if(false,{a},2),if(false,{c},4))") == 2


def test_arguments_are_evaluated_left_to_right() -> None:
    message = failure("@equals(variables('first'), variables('second'))")
    assert "'first'" in message


def test_interpolation_renders_values_as_text() -> None:
    ctx = StaticContext(
        parameters={"o": {"f": 5.0, "s": "é"}, "a": [1, "x", None], "d": Decimal("5.0000")}
    )
    assert run("@{parameters('o')}", ctx) == '{"f":5.0,"s":"é"}'
    assert run("@{parameters('a')}", ctx) == '[1,"x",null]'
    assert run("@{parameters('d')}", ctx) == "5.0000"
    assert run("n=@{parameters('o').f}", ctx) == "n=5"


def test_interpolation_results_are_capped() -> None:
    half = "a" * (STRING_LIMIT // 2 + 1)
    ctx = with_parameter(half)
    assert len(run("@{parameters('p')}", ctx)) == len(half)
    with pytest.raises(ExpressionLimitExceeded):
        run("@{parameters('p')}@{parameters('p')}", ctx)


def test_whole_value_results_are_copies() -> None:
    data = {"list": [1, {"x": 2}]}
    ctx = with_parameter(data)
    result = run("@parameters('p')", ctx)
    assert result == data
    result["list"][1]["x"] = 99
    assert data == {"list": [1, {"x": 2}]}


def test_compile_value_evaluates_every_string_and_no_key() -> None:
    ctx = StaticContext(
        parameters={"to": "ada@example.com", "n": 3},
        trigger_record={"outputs": {"body": {"Name": "Ada", "Company": "ACME"}}},
    )
    compiled = compile_value(
        {
            "To": "@parameters('to')",
            "Subject": "Subject: @{triggerBody()?['Name']} (@{triggerBody()?['Company']})",
            "@{not a template}": ["@parameters('n')", "@@literal", 1.5, None, True],
            "Constant": {"deep": ["text"]},
        }
    )
    assert compiled.evaluate(ctx) == {
        "To": "ada@example.com",
        "Subject": "Subject: Ada (ACME)",
        "@{not a template}": [3, "@literal", 1.5, None, True],
        "Constant": {"deep": ["text"]},
    }
    assert not compiled.is_constant
    pointers = [pointer for pointer, _ in compiled.templates]
    assert pointers == ["/To", "/Subject", "/@{not a template}/0"]


def test_compiled_values_are_fresh_on_every_evaluation() -> None:
    source = {"a": ["x", {"b": "@@y"}], "c": "@parameters('p')"}
    compiled = compile_value(source)
    ctx = with_parameter({"shared": [1]})
    first = compiled.evaluate(ctx)
    first["a"][1]["b"] = "changed"
    first["c"]["shared"].append(2)
    assert compiled.evaluate(ctx) == {"a": ["x", {"b": "@y"}], "c": {"shared": [1]}}
    assert source == {"a": ["x", {"b": "@@y"}], "c": "@parameters('p')"}


def test_a_constant_value_is_marked_and_still_fresh() -> None:
    compiled = compile_value({"a": ["@@x"]})
    assert compiled.is_constant
    first = compiled.evaluate(StaticContext())
    first["a"].append(1)
    assert compiled.evaluate(StaticContext()) == {"a": ["@x"]}


def test_parse_errors_carry_the_json_pointer() -> None:
    with pytest.raises(UnknownFunction) as caught:
        compile_value({"a": {"b/c~d": ["fine", "@nope()"]}})
    assert caught.value.pointer == "/a/b~1c~0d/1"
    with pytest.raises(ExpressionSyntaxError) as syntax:
        compile_value(["ok", "x @{parameters('a'"])
    assert syntax.value.pointer == "/1"
    assert syntax.value.column == 3


def test_evaluation_errors_carry_the_json_pointer() -> None:
    compiled = compile_value({"body": {"html": "<p>@{triggerBody().name}</p>"}})
    with pytest.raises(ExpressionEvaluationError) as caught:
        compiled.evaluate(StaticContext(trigger_record={"outputs": {"body": {}}}))
    assert caught.value.pointer == "/body/html"
    assert "property 'name' doesn't exist" in caught.value.message


def test_values_nested_too_deeply_are_refused() -> None:
    value: Any = "@parameters('p')"
    for _ in range(MAX_NESTING + 1):
        value = [value]
    with pytest.raises(ExpressionLimitExceeded) as caught:
        compile_value(value)
    assert caught.value.pointer == "/0" * MAX_NESTING


def test_iter_strings_yields_pointers_in_document_order() -> None:
    value = {"a": ["x", {"b/c": "y"}], "d~": "z", "n": 1}
    assert list(iter_strings(value)) == [("/a/0", "x"), ("/a/1/b~1c", "y"), ("/d~0", "z")]
    assert list(iter_strings("top")) == [("", "top")]


def test_a_function_failing_outside_the_language_fails_the_expression_not_the_engine() -> None:
    # A signalling NaN makes Python's decimal comparison raise InvalidOperation: the kind of
    # surprise a function can hit on odd data. It must surface as an evaluation error.
    message = failure("@equals(parameters('p'), 1)", with_parameter(Decimal("sNaN")))
    assert message.startswith("The template language function 'equals' failed to evaluate")
