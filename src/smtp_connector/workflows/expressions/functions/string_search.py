"""String search functions: indexOf, nthIndexOf, lastIndexOf, startsWith, endsWith.

All ignore case (culture-invariant, one character to one, so positions are unchanged; see
``casing.py``). ``nthIndexOf`` counts overlapping occurrences (``nthIndexOf('aaa', 'aa', 2)`` is
1) and a negative occurrence counts from the end [inferred].

Searching stays linear on hostile input: ``str.find`` is linear per call, and when a
self-overlapping search text would make repeated calls quadratic (``'a' * 10**6`` searched for
``'a' * 10**5``), a Knuth-Morris-Pratt scan takes over.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from smtp_connector.workflows.expressions.casing import fold
from smtp_connector.workflows.expressions.context import EvaluationContext
from smtp_connector.workflows.expressions.functions.checks import failure, want_int, want_str
from smtp_connector.workflows.expressions.functions.registry import function

_FIND_BUDGET = 4_000_000
"""Characters compared by repeated ``find`` calls before switching to the linear scan."""


def _texts(name: str, args: Sequence[Any]) -> tuple[str, str]:
    return fold(want_str(name, args[0], 0)), fold(want_str(name, args[1], 1))


@function("indexOf", 2)
def index_of(ctx: EvaluationContext, args: Sequence[Any]) -> int:
    """The first position of ``searchText`` in ``text`` ignoring case, -1 if absent (``''``: 0)."""
    text, search = _texts("indexOf", args)
    return text.find(search)


@function("lastIndexOf", 2)
def last_index_of(ctx: EvaluationContext, args: Sequence[Any]) -> int:
    """The last position of ``searchText`` ignoring case, -1 if absent. An empty search text
    gives the last index (``length - 1``), and 0 in an empty text (FN)."""
    text, search = _texts("lastIndexOf", args)
    if search == "":
        return max(len(text) - 1, 0)
    return text.rfind(search)


@function("nthIndexOf", 3)
def nth_index_of(ctx: EvaluationContext, args: Sequence[Any]) -> int:
    """The position of the ``occurrence``-th ``searchText`` (negative: from the end), -1 if
    there are fewer; an occurrence of 0 is an error."""
    text, search = _texts("nthIndexOf", args)
    occurrence = want_int("nthIndexOf", args[2], 2)
    if occurrence == 0:
        raise failure("nthIndexOf", "expects its third parameter 'occurrence' to be non-zero.")
    if occurrence > 0:
        return _nth(text, search, occurrence)
    found = _nth(text[::-1], search[::-1], -occurrence)
    return -1 if found < 0 else len(text) - found - len(search)


@function("startsWith", 2)
def starts_with(ctx: EvaluationContext, args: Sequence[Any]) -> bool:
    """Whether ``text`` begins with ``searchText``, ignoring case."""
    text, search = _texts("startsWith", args)
    return text.startswith(search)


@function("endsWith", 2)
def ends_with(ctx: EvaluationContext, args: Sequence[Any]) -> bool:
    """Whether ``text`` ends with ``searchText``, ignoring case."""
    text, search = _texts("endsWith", args)
    return text.endswith(search)


def _nth(text: str, search: str, count: int) -> int:
    """The start of the ``count``-th (1-based) overlapping occurrence of ``search``, or -1."""
    if search == "":
        return count - 1 if count - 1 <= len(text) else -1
    position = -1
    spent = 0
    for seen in range(1, count + 1):
        position = text.find(search, position + 1)
        if position < 0:
            return -1
        spent += len(search)
        if seen == count:
            return position
        if spent > _FIND_BUDGET + len(text):
            return _nth_linear(text, search, position + 1, count - seen)
    return position


def _nth_linear(text: str, search: str, start: int, count: int) -> int:
    for seen, position in enumerate(_occurrences(text, search, start), start=1):
        if seen == count:
            return position
    return -1


def _occurrences(text: str, search: str, start: int) -> Iterator[int]:
    """Every (overlapping) start of ``search`` in ``text`` from ``start``, Knuth-Morris-Pratt."""
    border = [0] * len(search)
    matched = 0
    for i in range(1, len(search)):
        while matched and search[i] != search[matched]:
            matched = border[matched - 1]
        if search[i] == search[matched]:
            matched += 1
        border[i] = matched
    matched = 0
    for i in range(start, len(text)):
        ch = text[i]
        while matched and ch != search[matched]:
            matched = border[matched - 1]
        if ch == search[matched]:
            matched += 1
        if matched == len(search):
            yield i - len(search) + 1
            matched = border[matched - 1]
