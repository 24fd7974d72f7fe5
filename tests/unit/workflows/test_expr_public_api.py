"""The expression package's public surface: what the engine and the API may import."""

from __future__ import annotations

import pytest

import smtp_connector.workflows.expressions as expressions


def test_public_names() -> None:
    assert sorted(expressions.__all__) == [
        "CompiledValue",
        "EvaluationContext",
        "ExpressionError",
        "ExpressionEvaluationError",
        "ExpressionLimitExceeded",
        "ExpressionSyntaxError",
        "StaticContext",
        "Template",
        "UnknownFunction",
        "compile_value",
        "is_template",
        "iter_strings",
        "parse_template",
        "to_text",
    ]
    for name in expressions.__all__:
        assert getattr(expressions, name) is not None


def test_every_error_is_an_expression_error_without_a_pointer_by_default() -> None:
    with pytest.raises(expressions.ExpressionError) as caught:
        expressions.parse_template("@nope()")
    assert isinstance(caught.value, expressions.UnknownFunction)
    assert isinstance(caught.value, expressions.ExpressionSyntaxError)
    assert caught.value.pointer == ""


def test_the_module_example_runs() -> None:
    inputs = expressions.compile_value({"subject": "Hello @{triggerBody()?['name']}"})
    ctx = expressions.StaticContext(trigger_record={"outputs": {"body": {"name": "Ada"}}})
    assert inputs.evaluate(ctx) == {"subject": "Hello Ada"}
