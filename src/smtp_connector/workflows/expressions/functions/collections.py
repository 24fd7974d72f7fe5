"""Collection functions: contains, empty, first, last, take, skip, join, length, union,
intersection, chunk, sort, reverse.

Two values are the same item (``contains``, ``union``, ``intersection``) when they are equal as
JSON: numbers by value (``1`` is ``1.0``), never a number and a boolean, strings exactly, arrays
item by item, objects key by key in any order. Items are compared through hashable keys, so
``union`` and ``intersection`` stay linear on large arrays.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Any

from smtp_connector.workflows.expressions.content import text_of
from smtp_connector.workflows.expressions.context import EvaluationContext
from smtp_connector.workflows.expressions.errors import ExpressionLimitExceeded
from smtp_connector.workflows.expressions.functions.checks import (
    check_length,
    failure,
    type_error,
    want_int,
    want_list,
    want_str,
)
from smtp_connector.workflows.expressions.functions.objects import find_key
from smtp_connector.workflows.expressions.functions.registry import function
from smtp_connector.workflows.expressions.values import is_number, type_name


def item_key(value: Any) -> Hashable:
    """A hashable key equal for values that are the same JSON item."""
    if isinstance(value, bool) or value is None:
        return ("literal", value)
    if is_number(value):
        return ("nan",) if isinstance(value, float) and math.isnan(value) else ("number", value)
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, list):
        return ("array", tuple(item_key(item) for item in value))
    if isinstance(value, dict):
        return ("object", frozenset((key, item_key(item)) for key, item in value.items()))
    return ("other", repr(value))


def _keys(name: str, values: Sequence[Any]) -> list[Hashable]:
    try:
        return [item_key(value) for value in values]
    except RecursionError:
        raise ExpressionLimitExceeded(
            f"The template language function '{name}' was given values nested too deeply."
        ) from None


@function("contains", 2)
def contains(ctx: EvaluationContext, args: Sequence[Any]) -> bool:
    """A string holds a substring (case-sensitive), an array an item, an object a key (any case)."""
    collection, value = args
    if isinstance(collection, str):
        return want_str("contains", value, 1) in collection
    if isinstance(collection, list):
        wanted = _keys("contains", [value])[0]
        return any(key == wanted for key in _keys("contains", collection))
    if isinstance(collection, dict):
        return find_key(collection, want_str("contains", value, 1)) is not None
    raise failure(
        "contains",
        "expects its first argument 'collection' to be a dictionary (object), an array or a "
        f"string. The provided value is of type '{type_name(collection)}'.",
    )


@function("empty", 1)
def empty(ctx: EvaluationContext, args: Sequence[Any]) -> bool:
    """Whether a string, array or object has nothing in it; null is empty."""
    value = args[0]
    if value is None:
        return True
    if isinstance(value, str | list | dict):
        return len(value) == 0
    raise type_error("empty", None, "an object, an array or a string", value)


def _string_or_array(name: str, value: Any, position: int | None) -> str | list[Any]:
    if isinstance(value, str | list):
        return value
    raise type_error(name, position, "an array or a string", value)


@function("first", 1)
def first(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    """The first character or item (``''`` or null when there is none)."""
    value = _string_or_array("first", args[0], None)
    if isinstance(value, str):
        return value[:1]
    return value[0] if value else None


@function("last", 1)
def last(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    """The last character or item (``''`` or null when there is none)."""
    value = _string_or_array("last", args[0], None)
    if isinstance(value, str):
        return value[-1:]
    return value[-1] if value else None


@function("length", 1)
def length(ctx: EvaluationContext, args: Sequence[Any]) -> int:
    """The number of characters of a string or items of an array."""
    return len(_string_or_array("length", args[0], None))


@function("take", 2)
def take(ctx: EvaluationContext, args: Sequence[Any]) -> str | list[Any]:
    """The first ``count`` characters or items (all if fewer; none if ``count`` <= 0)."""
    value = _string_or_array("take", args[0], 0)
    count = want_int("take", args[1], 1)
    return value[: max(count, 0)]


@function("skip", 2)
def skip(ctx: EvaluationContext, args: Sequence[Any]) -> list[Any]:
    """The items after the first ``count`` (all if ``count`` <= 0)."""
    value = want_list("skip", args[0], 0)
    count = want_int("skip", args[1], 1)
    return value[max(count, 0) :]


@function("join", 2)
def join(ctx: EvaluationContext, args: Sequence[Any]) -> str:
    """The texts of the items (as ``string()`` makes them) with ``delimiter`` between them."""
    items = want_list("join", args[0], 0)
    delimiter = want_str("join", args[1], 1)
    parts = [text_of(item) for item in items]
    check_length("join", sum(map(len, parts)) + len(delimiter) * max(len(parts) - 1, 0))
    return delimiter.join(parts)


@function("chunk", 2)
def chunk(ctx: EvaluationContext, args: Sequence[Any]) -> list[Any]:
    """The string or array cut into pieces of ``length`` (the last may be shorter)."""
    value = _string_or_array("chunk", args[0], 0)
    size = want_int("chunk", args[1], 1)
    if size <= 0:
        raise failure("chunk", "expects its second parameter 'length' to be greater than zero.")
    return [value[start : start + size] for start in range(0, len(value), size)]


@function("reverse", 1)
def reverse(ctx: EvaluationContext, args: Sequence[Any]) -> list[Any]:
    """The array's items in reverse order."""
    return want_list("reverse", args[0], None)[::-1]


@function("union", 1, None)
def union(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    """Arrays: every distinct item, in order of first appearance. Objects: every key, the last
    object's value winning."""
    if _same_kind("union", args) is dict:
        merged: dict[str, Any] = {}
        for table in args:
            merged.update(table)
        return merged
    seen: set[Hashable] = set()
    result: list[Any] = []
    for array in args:
        for key, item in zip(_keys("union", array), array, strict=True):
            if key not in seen:
                seen.add(key)
                result.append(item)
    return result


@function("intersection", 2, None)
def intersection(ctx: EvaluationContext, args: Sequence[Any]) -> Any:
    """Arrays: the distinct items of the first that every other has, in the first's order.
    Objects: the keys every object has with an equal value."""
    if _same_kind("intersection", args) is dict:
        common: dict[str, Any] = {}
        for key, value in args[0].items():
            wanted = _keys("intersection", [value])[0]
            if all(
                key in table and _keys("intersection", [table[key]])[0] == wanted
                for table in args[1:]
            ):
                common[key] = value
        return common
    others = [set(_keys("intersection", array)) for array in args[1:]]
    seen: set[Hashable] = set()
    result: list[Any] = []
    for key, item in zip(_keys("intersection", args[0]), args[0], strict=True):
        if key not in seen and all(key in other for other in others):
            seen.add(key)
            result.append(item)
    return result


def _same_kind(name: str, args: Sequence[Any]) -> type:
    kind = dict if isinstance(args[0], dict) else list
    for position, value in enumerate(args):
        if not isinstance(value, kind):
            expected = "an object" if kind is dict else "an array"
            if position == 0:
                expected = "an array or an object"
            raise type_error(name, position, expected, value)
    return kind


@function("sort", 1, 2)
def sort(ctx: EvaluationContext, args: Sequence[Any]) -> list[Any]:
    """The array sorted ascending (numbers, strings (ordinal) or booleans); with ``sortBy``,
    objects sorted by that property (any case). Stable."""
    items = want_list("sort", args[0], 0)
    if len(args) < 2:
        _check_sortable(items)
        return sorted(items)
    name = want_str("sort", args[1], 1)
    values: list[Any] = []
    for item in items:
        key = find_key(item, name) if isinstance(item, dict) else None
        if key is None:
            raise failure("sort", f"expects every item to be an object with the property '{name}'.")
        values.append(item[key])
    _check_sortable(values)
    return [items[i] for i in sorted(range(len(items)), key=values.__getitem__)]


def _check_sortable(values: list[Any]) -> None:
    kinds = {"number" if is_number(value) else type_name(value) for value in values}
    if len(kinds) > 1 or not kinds <= {"number", "String", "Boolean"}:
        provided = ", ".join(sorted({type_name(value) for value in values}))
        raise failure(
            "sort",
            "expects the values to sort to be all numbers, all strings or all booleans. "
            f"The provided values are of type '{provided}'.",
        )
