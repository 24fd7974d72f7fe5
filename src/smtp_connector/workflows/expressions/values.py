"""Expression values: JSON values as Python objects, with the runtime's type names.

A value is ``None``, ``bool``, ``int``, ``float``, ``decimal.Decimal`` (only from ``decimal()``,
to keep .NET decimal precision in text), ``str``, ``list`` or ``dict`` (``str`` keys, insertion
order kept). Nothing else ever flows through the evaluator.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

STRING_LIMIT = 104_857_600
"""The runtime's cap on a string built by an expression (characters)."""


def type_name(value: Any) -> str:
    """The runtime's name of the value's type, as its error messages print it."""
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float | Decimal):
        return "Float"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, dict):
        return "Object"
    return type(value).__name__


def is_number(value: Any) -> bool:
    """An ``int``, ``float`` or ``Decimal`` that is not a ``bool``."""
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def plain_json(value: Any) -> Any:
    """``value`` with every ``Decimal`` turned into a float, for ``json.dumps`` and storage."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list):
        return [plain_json(item) for item in value]
    if isinstance(value, dict):
        return {key: plain_json(item) for key, item in value.items()}
    return value
