"""Logical functions: the reference's examples, then the edges (types, null, ordering)."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest

from smtp_connector.workflows.expressions import (
    ExpressionEvaluationError,
    StaticContext,
    parse_template,
)

USAGE = "Please see https://aka.ms/logicexpressions#{} for usage details."
CTX = StaticContext(
    parameters={
        "nan": math.nan,
        "half": Decimal("1.5"),
        "tenth": Decimal("0.1"),
        "o1": {"a": [1, {"b": None}], "c": "x"},
        "o2": {"c": "x", "a": [1.0, {"b": None}]},
        "o3": {"c": "x", "a": [1, {"b": ""}]},
    }
)


def run(expression: str) -> Any:
    return parse_template(f"@{expression}").evaluate(CTX)


def failure(expression: str) -> str:
    with pytest.raises(ExpressionEvaluationError) as caught:
        run(expression)
    return caught.value.message


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("and(true, true)", True),
        ("and(false, true)", False),
        ("and(false, false)", False),
        ("and(equals(1, 1), equals(2, 2))", True),
        ("and(equals(1, 1), equals(1, 2))", False),
        ("coalesce(null, true, false)", True),
        ("coalesce(null, 'hello', 'world')", "hello"),
        ("coalesce(null, null, null)", None),
        ("equals(true, 1)", True),
        ("equals('abc', 'abcd')", False),
        ("greater(10, 5)", True),
        ("greater('apple', 'banana')", False),
        ("greaterOrEquals(5, 5)", True),
        ("greaterOrEquals('apple', 'banana')", False),
        ("if(equals(1, 1), 'yes', 'no')", "yes"),
        ("less(5, 10)", True),
        ("less('banana', 'apple')", False),
        ("lessOrEquals(10, 10)", True),
        ("lessOrEquals('apply', 'apple')", False),
        ("not(false)", True),
        ("not(true)", False),
        ("not(equals(1, 2))", True),
        ("not(equals(1, 1))", False),
        ("or(true, false)", True),
        ("or(false, false)", False),
        ("or(equals(1, 1), equals(1, 2))", True),
        ("or(equals(1, 2), equals(1, 3))", False),
    ],
)
def test_reference_examples(expression: str, expected: Any) -> None:
    assert run(expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("and(true)", True),
        ("and(false)", False),
        ("and(true,true,true,true,true,true,true,true,true)", True),
        ("and(true,true,true,false,true,true,true,true,true)", False),
        ("or(true)", True),
        ("or(false,false,false,false,false,false,false,false,true)", True),
        ("or(false,false,false,false,false,false,false,false,false)", False),
        ("if(if(false,false,true),if(true,1,2),if(true,3,4))", 1),
        ("if(if(true,false,true),if(false,1,2),if(false,3,4))", 4),
    ],
)
def test_variadic_and_nested_forms(expression: str, expected: Any) -> None:
    assert run(expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("equals('true', true)", False),
        ("equals(false, 0)", True),
        ("equals(1, 1.0)", True),
        ("equals('1', 1)", False),
        ("equals('a', 'A')", False),
        ("equals(null, null)", True),
        ("equals(null, '')", True),
        ("equals(parameters('half'), 1.5)", True),
        ("equals(parameters('tenth'), 0.1)", True),
        ("equals(parameters('nan'), parameters('nan'))", False),
        ("equals(parameters('o1'), parameters('o2'))", True),
        ("equals(parameters('o1'), parameters('o3'))", False),
        ("equals(parameters('o1'), parameters('o1').a)", False),
        ("equals(parameters('o1').a, parameters('o2').a)", True),
        ("equals(parameters('o1').a[1], parameters('o3').a[1])", False),
    ],
)
def test_equals(expression: str, expected: bool) -> None:
    assert run(expression) is expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("less('B', 'a')", True),
        ("greater('b', 'B')", True),
        ("less('\uffff', '😀')", False),
        ("less(1, 1.5)", True),
        ("greaterOrEquals(parameters('half'), 1.5)", True),
        ("less(parameters('tenth'), 0.2)", True),
        ("less(null, 'a')", True),
        ("lessOrEquals(null, '')", True),
        ("less(parameters('nan'), 1)", False),
        ("greaterOrEquals(parameters('nan'), parameters('nan'))", False),
    ],
)
def test_comparisons(expression: str, expected: bool) -> None:
    assert run(expression) is expected


def test_comparisons_refuse_other_types() -> None:
    assert failure("less(true, 1)") == (
        "The template language function 'less' expects its first parameter to be an integer, "
        "a float or a string. The provided value is of type 'Boolean'. " + USAGE.format("less")
    )
    assert "its second parameter" in failure("greater(1, parameters('o1'))")
    assert "'String' and 'Integer'" in failure("lessOrEquals('1', 2)")


@pytest.mark.parametrize(
    ("expression", "parameter", "provided"),
    [
        ("not(1)", "its parameter", "Integer"),
        ("if('true', 1, 2)", "its first parameter", "String"),
        ("and(true, null)", "its second parameter", "Null"),
        ("or(false, 0)", "its second parameter", "Integer"),
    ],
)
def test_boolean_functions_take_booleans_only(
    expression: str, parameter: str, provided: str
) -> None:
    name = expression.split("(")[0]
    assert failure(expression) == (
        f"The template language function '{name}' expects {parameter} to be of type boolean. "
        f"The provided value is of type '{provided}'. {USAGE.format(name)}"
    )
