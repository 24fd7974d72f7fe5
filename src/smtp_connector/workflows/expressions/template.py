"""Template strings: the JSON string values of a definition, with their expressions.

A string is a template when it has at least two characters and starts with ``@`` or contains
``@{`` (the designer's rule). Then:

- ``@@...`` is the literal text after the first ``@``;
- ``@expr`` (not ``@{``) is one expression whose value keeps its JSON type (``@parameters('n')``
  may be a number, an object, ...);
- otherwise the string is interpolated: each ``@{`` opens an expression that ends at the next
  ``}`` outside single quotes, and its value is rendered as text (``render.to_text``); ``@@{`` is
  the literal ``@{``. The result is always a string.

Any other string is a literal, returned unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from smtp_connector.workflows.expressions.ast import Node
from smtp_connector.workflows.expressions.context import EvaluationContext
from smtp_connector.workflows.expressions.errors import (
    ExpressionLimitExceeded,
    ExpressionSyntaxError,
)
from smtp_connector.workflows.expressions.evaluate import Evaluator, compile_node
from smtp_connector.workflows.expressions.parser import parse_expression
from smtp_connector.workflows.expressions.render import to_text
from smtp_connector.workflows.expressions.values import STRING_LIMIT


@dataclass(frozen=True, slots=True)
class Expression:
    """One expression of a template."""

    text: str
    """The expression as written, without ``@`` or ``@{ }``."""
    offset: int
    """0-based offset of ``text`` in the template string."""
    root: Node


def is_template(text: str) -> bool:
    """Whether ``text`` holds expressions (or ``@@`` escapes) rather than plain text."""
    return len(text) > 1 and (text[0] == "@" or "@{" in text)


class Template:
    """A parsed template string; ``evaluate`` may be called any number of times."""

    __slots__ = ("_run", "expressions", "is_literal", "literal", "text")

    def __init__(
        self,
        text: str,
        expressions: tuple[Expression, ...],
        run: Callable[[Any], Any],
        literal: str | None = None,
    ) -> None:
        self.text = text
        """The template string as written."""
        self.expressions = expressions
        """Its expressions, in order (none for a literal)."""
        self.is_literal = literal is not None
        """Whether the value is the same in every run (plain text, or only ``@@`` escapes)."""
        self.literal = literal
        """That value, for a literal."""
        self._run = run

    def evaluate(self, ctx: EvaluationContext) -> Any:
        """The template's value in ``ctx``: a fresh JSON value (arrays and objects are copies).
        Raises ``ExpressionEvaluationError`` (or another ``ExpressionError``), and
        ``ExpressionLimitExceeded`` for a string result longer than ``STRING_LIMIT``."""
        return self._run(ctx)

    def __repr__(self) -> str:
        return f"Template({self.text!r})"


def parse_template(text: str) -> Template:
    """Parse ``text`` (see the module docstring). Raises ``ExpressionSyntaxError`` (its
    ``column`` is 1-based in ``text``), ``UnknownFunction`` or ``ExpressionLimitExceeded``."""
    if not is_template(text):
        return _literal(text, text)
    if text[0] == "@" and text[1] != "{":
        if text[1] == "@":
            return _literal(text, text[1:])
        expression = Expression(text[1:], 1, parse_expression(text[1:], 1))
        return Template(text, (expression,), _whole(compile_node(expression.root, expression.text)))
    parts, expressions = _split(text)
    if not expressions:
        return _literal(text, "".join(str(part) for part in parts))
    return Template(text, tuple(expressions), _interpolation(tuple(parts)))


def _split(text: str) -> tuple[list[str | Evaluator], list[Expression]]:
    """The literal pieces and compiled expressions of an interpolated string, in order."""
    parts: list[str | Evaluator] = []
    expressions: list[Expression] = []
    literal: list[str] = []
    done = 0
    while (opening := text.find("@{", done)) != -1:
        literal.append(text[done:opening])
        if opening > 0 and text[opening - 1] == "@":
            # "@@{" is the text "@{": keep the first "@", drop the second.
            done = opening + 1
            continue
        start = opening + 2
        end = _closing_brace(text, start)
        if end == -1:
            raise ExpressionSyntaxError(
                f"Unable to parse template language expression '{text[start:]}': "
                f"the '@{{' at position '{opening}' has no closing '}}'.",
                opening + 1,
            )
        source = text[start:end]
        expression = Expression(source, start, parse_expression(source, start))
        expressions.append(expression)
        if any(literal):
            parts.append("".join(literal))
        literal = []
        parts.append(compile_node(expression.root, source))
        done = end + 1
    literal.append(text[done:])
    if any(literal):
        parts.append("".join(literal))
    return parts, expressions


def _closing_brace(text: str, start: int) -> int:
    """The index of the first ``}`` from ``start`` outside single quotes, or -1.

    Every search moves forward, so the whole scan is linear in the text's length."""
    pos = start
    brace = text.find("}", pos)
    while brace != -1:
        quote = text.find("'", pos, brace)
        if quote == -1:
            return brace
        close = text.find("'", quote + 1)
        if close == -1:
            return -1
        pos = close + 1
        if brace < pos:
            brace = text.find("}", pos)
    return -1


def _literal(text: str, value: str) -> Template:
    def run(ctx: EvaluationContext) -> Any:
        return value

    return Template(text, (), run, value)


def _whole(compiled: Evaluator) -> Callable[[Any], Any]:
    def run(ctx: EvaluationContext) -> Any:
        value = compiled(ctx)
        if type(value) is str:
            if len(value) > STRING_LIMIT:
                raise _too_long(len(value))
            return value
        if type(value) is dict or type(value) is list:
            return fresh(value)
        return value

    return run


def _interpolation(parts: tuple[str | Evaluator, ...]) -> Callable[[Any], Any]:
    def run(ctx: EvaluationContext) -> Any:
        pieces: list[str] = []
        size = 0
        for part in parts:
            if type(part) is str:
                piece = part
            else:
                value = part(ctx)  # type: ignore[operator]
                piece = value if type(value) is str else to_text(value)
            size += len(piece)
            if size > STRING_LIMIT:
                raise _too_long(size)
            pieces.append(piece)
        return "".join(pieces)

    return run


def _too_long(size: int) -> ExpressionLimitExceeded:
    return ExpressionLimitExceeded(
        f"The template language expression result is {size:,} characters long; the limit is "
        f"{STRING_LIMIT:,}."
    )


def fresh(value: Any) -> Any:
    """A copy of a JSON value's arrays and objects (scalars are shared; no recursion)."""
    if type(value) is not dict and type(value) is not list:
        return value
    top = value.copy()
    stack: list[Any] = [top]
    while stack:
        container = stack.pop()
        keys = range(len(container)) if type(container) is list else list(container)
        for key in keys:
            item = container[key]
            if type(item) is dict or type(item) is list:
                copy = item.copy()
                container[key] = copy
                stack.append(copy)
    return top
