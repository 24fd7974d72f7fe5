"""Call expression functions straight from the registry (no parser needed).

call("substring", "hello", 1, 3)         # -> "ell"
message = failure("split", None, ",")    # the ExpressionEvaluationError's text
exact(call("mul", 1.5, 2)) == exact(3.0) # types compared too: 3 is not 3.0, 1 is not True
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

import smtp_connector.workflows.expressions.functions  # noqa: F401  (registers every function)
from smtp_connector.workflows.expressions.context import StaticContext
from smtp_connector.workflows.expressions.errors import ExpressionError
from smtp_connector.workflows.expressions.functions import registry


class ArityError(Exception):
    """The function does not take that many arguments (the evaluator reports this)."""


def call(name: str, *args: Any, ctx: StaticContext | None = None) -> Any:
    """``name(*args)`` through the registry, as the evaluator calls an eager function."""
    found = registry.lookup(name)
    assert found is not None, f"{name} is not registered"
    if len(args) < found.min_args or (found.max_args is not None and len(args) > found.max_args):
        raise ArityError(f"{found.name} takes {found.min_args}..{found.max_args} arguments")
    return found.impl(ctx or StaticContext(), list(args))


def failure(name: str, *args: Any, kind: type[ExpressionError] = ExpressionError) -> str:
    """The message of the error ``name(*args)`` raises (it must raise ``kind``)."""
    with pytest.raises(kind) as info:
        call(name, *args)
    return info.value.message


def exact(value: Any) -> str:
    """JSON text that tells ``3`` from ``3.0``, ``1`` from ``true`` and a decimal from a float."""
    return json.dumps(value, default=lambda d: f"decimal {d}" if isinstance(d, Decimal) else d)
