"""The Logic Apps expression language, pure: template text -> tree -> value.

    from smtp_connector.workflows.expressions import StaticContext, compile_value

    inputs = compile_value({"subject": "Hello @{triggerBody()?['name']}"})  # parse once
    inputs.evaluate(StaticContext(trigger_record={"outputs": {"body": {"name": "Ada"}}}))
    # {'subject': 'Hello Ada'}

``parse_template`` handles one string; ``compile_value`` a whole JSON value (errors carry the
JSON pointer of the failing string). The engine supplies an ``EvaluationContext``; tests use
``StaticContext``. Errors are ``ExpressionError`` subclasses, worded like the runtime's.
"""

from smtp_connector.workflows.expressions.compile import CompiledValue, compile_value, iter_strings
from smtp_connector.workflows.expressions.context import EvaluationContext, StaticContext
from smtp_connector.workflows.expressions.errors import (
    ExpressionError,
    ExpressionEvaluationError,
    ExpressionLimitExceeded,
    ExpressionSyntaxError,
    UnknownFunction,
)
from smtp_connector.workflows.expressions.render import to_text
from smtp_connector.workflows.expressions.template import Template, is_template, parse_template

__all__ = [
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
