"""Whole JSON values with templates inside: parsed once, evaluated once per run.

``compile_value`` walks a value (an action's ``inputs``, a condition, ...): every string is
parsed as a template (object keys are never templates), and parts without any expression become
constants. ``CompiledValue.evaluate`` then builds a fresh JSON value each time. Errors carry the
JSON pointer of the failing string (``ExpressionError.pointer``, e.g. ``/body/Subject``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from smtp_connector.workflows.expressions.ast import calls
from smtp_connector.workflows.expressions.context import EvaluationContext
from smtp_connector.workflows.expressions.errors import ExpressionError, ExpressionLimitExceeded
from smtp_connector.workflows.expressions.functions.registry import Function
from smtp_connector.workflows.expressions.template import Template, fresh, parse_template

MAX_NESTING = 128
"""Arrays and objects nested deeper than this are refused (the evaluation recurses)."""

_Run = Callable[[EvaluationContext], Any]


class CompiledValue:
    """A JSON value whose strings are parsed templates."""

    __slots__ = ("_run", "is_constant", "templates")

    def __init__(self, run: _Run, is_constant: bool, templates: tuple[tuple[str, Template], ...]):
        self._run = run
        self.is_constant = is_constant
        """Whether no string holds an expression (every run gives an equal value)."""
        self.templates = templates
        """``(pointer, template)`` of every string that holds an expression, in document
        order."""

    def evaluate(self, ctx: EvaluationContext) -> Any:
        """The value in ``ctx``, as a new JSON value (nothing shared with earlier results).
        Raises ``ExpressionError`` with ``pointer`` set to the failing string's place."""
        return self._run(ctx)


def functions_called(compiled: CompiledValue) -> set[Function]:
    """Every function the value's expressions call (to tell, for instance, whether evaluating
    it twice can give two answers)."""
    found: set[Function] = set()
    for _pointer, template in compiled.templates:
        for expression in template.expressions:
            found.update(call.function for call in calls(expression.root))
    return found


def compile_value(value: Any) -> CompiledValue:
    """Parse every string of ``value``. Raises ``ExpressionError`` (``ExpressionSyntaxError``,
    ``UnknownFunction``, ``ExpressionLimitExceeded``) with ``pointer`` set."""
    templates: list[tuple[str, Template]] = []
    run, constant = _compile(value, "", 0, templates)
    if run is None:
        return CompiledValue(_constant(constant), True, ())
    return CompiledValue(run, False, tuple(templates))


def pointer_token(key: str) -> str:
    """One reference token of a JSON pointer: ``~`` -> ``~0``, ``/`` -> ``~1``."""
    return key.replace("~", "~0").replace("/", "~1")


def iter_strings(value: Any) -> Iterator[tuple[str, str]]:
    """``(pointer, string)`` for every string of ``value`` (not keys), in document order."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        pointer, current = stack.pop()
        if isinstance(current, str):
            yield pointer, current
        elif isinstance(current, dict):
            entries = [(f"{pointer}/{pointer_token(str(k))}", v) for k, v in current.items()]
            stack.extend(reversed(entries))
        elif isinstance(current, list):
            stack.extend(reversed([(f"{pointer}/{i}", v) for i, v in enumerate(current)]))


_Compiled = tuple[_Run | None, Any]
"""``(None, value)`` for a part that never changes (``value`` as evaluated: ``@@`` undone),
else ``(run, None)``."""


def _compile(
    value: Any, pointer: str, depth: int, templates: list[tuple[str, Template]]
) -> _Compiled:
    if isinstance(value, str):
        return _compile_string(value, pointer, templates)
    if isinstance(value, dict | list):
        if depth >= MAX_NESTING:
            error = ExpressionLimitExceeded(
                f"The value nests arrays and objects more than {MAX_NESTING} levels deep."
            )
            error.pointer = pointer
            raise error
        if isinstance(value, dict):
            return _compile_object(value, pointer, depth, templates)
        return _compile_array(value, pointer, depth, templates)
    return None, value


def _compile_string(text: str, pointer: str, templates: list[tuple[str, Template]]) -> _Compiled:
    try:
        template = parse_template(text)
    except ExpressionError as exc:
        exc.pointer = pointer
        raise
    if template.literal is not None:
        return None, template.literal
    templates.append((pointer, template))
    evaluate = template.evaluate

    def run(ctx: EvaluationContext) -> Any:
        try:
            return evaluate(ctx)
        except ExpressionError as exc:
            if not exc.pointer:
                exc.pointer = pointer
            raise

    return run, None


def _compile_object(
    value: dict[str, Any], pointer: str, depth: int, templates: list[tuple[str, Template]]
) -> _Compiled:
    parts = [
        (key, _compile(item, f"{pointer}/{pointer_token(key)}", depth + 1, templates))
        for key, item in value.items()
    ]
    if all(run is None for _, (run, _) in parts):
        return None, {key: constant for key, (_, constant) in parts}
    members = tuple((key, run or _constant(constant)) for key, (run, constant) in parts)

    def build(ctx: EvaluationContext) -> Any:
        return {key: run(ctx) for key, run in members}

    return build, None


def _compile_array(
    value: list[Any], pointer: str, depth: int, templates: list[tuple[str, Template]]
) -> _Compiled:
    parts = [
        _compile(item, f"{pointer}/{index}", depth + 1, templates)
        for index, item in enumerate(value)
    ]
    if all(run is None for run, _ in parts):
        return None, [constant for _, constant in parts]
    items = tuple(run or _constant(constant) for run, constant in parts)

    def build(ctx: EvaluationContext) -> Any:
        return [run(ctx) for run in items]

    return build, None


def _constant(value: Any) -> _Run:
    """A function giving a fresh copy of ``value`` on every call."""
    if not isinstance(value, dict | list):

        def scalar(ctx: EvaluationContext) -> Any:
            return value

        return scalar

    def container(ctx: EvaluationContext) -> Any:
        return fresh(value)

    return container
