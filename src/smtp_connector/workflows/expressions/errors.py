"""Errors of the expression language, worded like the Logic Apps runtime's.

    ExpressionError                 the root; ``message`` is the runtime-style sentence
    ├── ExpressionSyntaxError       the text is not an expression (``column`` is 1-based)
    │   └── UnknownFunction         a call names a function that does not exist
    ├── ExpressionLimitExceeded     too long, too deep, or a result too large (at save or run time)
    └── ExpressionEvaluationError   evaluating a valid expression failed (wrong type, range, ...)

None of them is a ``ConnectorError``: the workflow layer wraps them with the action name and a
JSON pointer (save time: a 400; run time: the action fails with ``InvalidTemplate``).
"""

from __future__ import annotations

USAGE = "Please see https://aka.ms/logicexpressions for usage details."


class ExpressionError(Exception):
    """Root of the expression language's errors; ``pointer`` is the JSON pointer (RFC 6901) of
    the failing string inside the value that ``compile_value`` compiled ("" when not known)."""

    pointer: str = ""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ExpressionSyntaxError(ExpressionError):
    """The text does not parse; ``column`` is the 1-based position in the template string."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.column = column


class UnknownFunction(ExpressionSyntaxError):
    """A call to a function that is not defined (``name`` as written)."""

    def __init__(self, name: str, column: int) -> None:
        super().__init__(f"The template function '{name}' is not defined or not valid.", column)
        self.name = name


class ExpressionLimitExceeded(ExpressionError):
    """An expression or its result passed a documented limit."""


class ExpressionEvaluationError(ExpressionError):
    """A valid expression could not be evaluated (wrong argument type, out of range, ...)."""
