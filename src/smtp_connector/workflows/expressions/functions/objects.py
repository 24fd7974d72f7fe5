"""Object manipulation functions: addProperty, setProperty, removeProperty, mergeObjects.

Property names match as property access does: the exact name first, else the first name that
differs only in case. The object is never changed in place; each function returns a new one.
``setProperty`` on an existing property moves it to the end under its existing spelling, as
the runtime does (IA: ``setProperty({"a":1,"b":2,"c":3}, 'c', 9)`` is ``{"a":1,"b":2,"c":9}``
with ``c`` last).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from smtp_connector.workflows.expressions.casing import fold
from smtp_connector.workflows.expressions.context import EvaluationContext
from smtp_connector.workflows.expressions.functions.checks import failure, want_dict, want_str
from smtp_connector.workflows.expressions.functions.registry import function


def find_key(table: dict[str, Any], name: str) -> str | None:
    """The key of ``table`` that ``name`` designates (exact, else the first in another case)."""
    if name in table:
        return name
    folded = fold(name)
    return next((key for key in table if fold(key) == folded), None)


def _object_and_name(name: str, args: Sequence[Any]) -> tuple[dict[str, Any], str]:
    return want_dict(name, args[0], 0), want_str(name, args[1], 1)


@function("addProperty", 3)
def add_property(ctx: EvaluationContext, args: Sequence[Any]) -> dict[str, Any]:
    """The object with a new property; an error if it has one by that name (in any case)."""
    table, name = _object_and_name("addProperty", args)
    existing = find_key(table, name)
    if existing is not None:
        raise failure(
            "addProperty",
            f"expects the property to not exist in the object; the object already has "
            f"'{existing}'.",
        )
    return {**table, name: args[2]}


@function("setProperty", 3)
def set_property(ctx: EvaluationContext, args: Sequence[Any]) -> dict[str, Any]:
    """The object with the property set (added at the end, or replaced and moved to the end)."""
    table, name = _object_and_name("setProperty", args)
    existing = find_key(table, name)
    result = dict(table)
    if existing is not None:
        del result[existing]
    result[existing if existing is not None else name] = args[2]
    return result


@function("removeProperty", 2)
def remove_property(ctx: EvaluationContext, args: Sequence[Any]) -> dict[str, Any]:
    """The object without the property (unchanged if it has none)."""
    table, name = _object_and_name("removeProperty", args)
    existing = find_key(table, name)
    return {key: value for key, value in table.items() if key != existing}


@function("mergeObjects", 2)
def merge_objects(ctx: EvaluationContext, args: Sequence[Any]) -> dict[str, Any]:
    """The first object's properties, overwritten and extended by the second's (shallow); a
    property of both keeps the first's spelling and position [inferred]."""
    first = want_dict("mergeObjects", args[0], 0)
    second = want_dict("mergeObjects", args[1], 1)
    result = dict(first)
    for key, value in second.items():
        existing = find_key(result, key)
        result[existing if existing is not None else key] = value
    return result
