"""The function registry: name (case-insensitive) -> implementation, arity, laziness.

A group module declares its functions with ``@function``::

    @function("substring", 2, 3)
    def substring(ctx: EvaluationContext, args: Sequence[Any]) -> Any: ...

Eager functions receive evaluated arguments. Lazy ones (``if``, ``and``, ``or``, ``coalesce``)
receive ``Thunk`` objects and evaluate only what they need (``lazy=True``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from smtp_connector.workflows.expressions.context import EvaluationContext


class Thunk(Protocol):
    """An argument of a lazy function, evaluated on demand (at most once is up to the caller)."""

    def __call__(self) -> Any: ...


Impl = Callable[[EvaluationContext, Sequence[Any]], Any]


@dataclass(frozen=True)
class Function:
    name: str
    """The canonical spelling (as in the Logic Apps reference)."""
    impl: Impl
    min_args: int
    max_args: int | None
    """``None``: variadic."""
    lazy: bool = False


REGISTRY: dict[str, Function] = {}
"""Casefolded name -> function."""


def function(
    name: str, min_args: int, max_args: int | None = -1, *, lazy: bool = False
) -> Callable[[Impl], Impl]:
    """Register ``impl`` under ``name``; ``max_args`` defaults to ``min_args``, ``None`` = any."""

    def register(impl: Impl) -> Impl:
        upper = min_args if max_args == -1 else max_args
        key = name.casefold()
        if key in REGISTRY:
            raise RuntimeError(f"function {name!r} registered twice")
        REGISTRY[key] = Function(name, impl, min_args, upper, lazy)
        return impl

    return register


def lookup(name: str) -> Function | None:
    """The function called ``name`` in any case, or ``None``."""
    return REGISTRY.get(name.casefold())
