"""Collecting what is wrong with a workflow document, each problem at a JSON pointer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from smtp_connector.errors import FieldProblem, InvalidInput
from smtp_connector.workflows.expressions import CompiledValue, ExpressionError, compile_value

T = TypeVar("T")


class WorkflowInvalid(InvalidInput):
    """The workflow document is wrong: one ``FieldProblem`` per JSON pointer (400)."""

    code = "invalid_workflow"


def pointer(*parts: str | int) -> str:
    """RFC 6901 pointer of ``parts`` (``~`` and ``/`` escaped)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def child(at: str, *parts: str | int) -> str:
    """The pointer to ``parts`` under the pointer ``at``."""
    return at + pointer(*parts)


def split_pointer(at: str) -> list[str]:
    """The unescaped parts of a JSON pointer (``/a~1b/c`` -> ``["a/b", "c"]``)."""
    return [p.replace("~1", "/").replace("~0", "~") for p in at.split("/")[1:]]


class Problems:
    """An accumulator: checks add problems and go on, so one answer lists them all."""

    def __init__(self) -> None:
        self.items: list[FieldProblem] = []

    def add(self, at: str, message: str, column: int | None = None) -> None:
        self.items.append(FieldProblem(at or "/", message, column))

    def compile(self, at: str, value: Any) -> CompiledValue | None:
        """``value`` compiled, or ``None`` with the expression's problem recorded."""
        try:
            return compile_value(value)
        except ExpressionError as exc:
            inner = getattr(exc, "pointer", "") or ""
            self.add(at + inner, exc.message, getattr(exc, "column", None))
            return None

    def compile_quietly(self, value: Any) -> CompiledValue | None:
        """``value`` compiled, or ``None``: for a part of a value already checked whole."""
        try:
            return compile_value(value)
        except ExpressionError:
            return None

    def guard(self, at: str, check: Callable[[], T]) -> T | None:
        try:
            return check()
        except ValueError as exc:
            self.add(at, str(exc))
            return None

    def raise_if_any(self) -> None:
        if self.items:
            first = self.items[0]
            more = f" (and {len(self.items) - 1} more)" if len(self.items) > 1 else ""
            raise WorkflowInvalid(f"{first.field}: {first.message}{more}", self.items)
