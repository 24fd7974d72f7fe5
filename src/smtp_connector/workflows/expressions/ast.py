"""The expression tree: literals, function calls and dereferences (``x.p``, ``x[k]``, ``x?[k]``).

Nodes are frozen; each keeps its 0-based offset in the expression text it was parsed from. A
call holds the registry entry it resolved to at parse time, so evaluation never looks names up.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from smtp_connector.workflows.expressions.functions.registry import Function


@dataclass(frozen=True, slots=True)
class Literal:
    """A string, number, ``true``, ``false`` or ``null`` written in the expression."""

    value: str | int | float | bool | None
    offset: int


@dataclass(frozen=True, slots=True)
class Call:
    """``name(args...)``; ``name`` as written, ``function.name`` is the canonical spelling."""

    name: str
    args: tuple[Node, ...]
    offset: int
    function: Function = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Dereference:
    """``target.key`` / ``target[key]``; with ``safe`` (``?``) a null target or a missing key
    gives null instead of an error."""

    target: Node
    key: Node
    safe: bool
    offset: int


Node = Literal | Call | Dereference


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of ``node``, left to right."""
    if isinstance(node, Call):
        return node.args
    if isinstance(node, Dereference):
        return (node.target, node.key)
    return ()


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children, left to right (no recursion)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def calls(node: Node) -> Iterator[Call]:
    """Every call in the tree (e.g. to find ``body('X')`` references), in source order."""
    for current in walk(node):
        if isinstance(current, Call):
            yield current
