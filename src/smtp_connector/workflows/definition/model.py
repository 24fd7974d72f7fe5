"""A workflow definition, checked and compiled: what the engine executes.

``parse_definition`` (``definition/parse.py``) builds these from the Logic Apps JSON. Every
template string is compiled once here, so a run only evaluates. Type names are canonical
(``Compose``, ``Foreach``); the JSON the user saved is kept elsewhere, unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from smtp_connector.workflows.expressions import CompiledValue

if TYPE_CHECKING:
    from smtp_connector.workflows.definition.salesforce import SalesforcePoll
from smtp_connector.workflows.statuses import Status


@dataclass(frozen=True)
class ConnectionRef:
    """An action's or trigger's reference to one of our connections, resolved at save time."""

    pointer: str
    name: str


@dataclass(frozen=True)
class ActionSpec:
    name: str
    type: str
    """Canonical type name (``ApiConnection``, ``Compose``, ``If`` ...)."""
    pointer: str
    """JSON pointer of the action in the saved document (for errors)."""
    raw: Mapping[str, Any]
    run_after: Mapping[str, frozenset[Status]]
    """Predecessor (in the same scope) -> statuses after which this action runs."""
    compiled: Mapping[str, CompiledValue] = field(default_factory=dict)
    """The action's template-bearing parts by role: ``inputs``, ``expression``, ``foreach``."""
    scopes: Mapping[str, ScopeSpec] = field(default_factory=dict)
    """Nested actions by branch: ``actions``, ``else``, ``default``, ``case:<name>``."""
    cases: Mapping[str, Any] = field(default_factory=dict)
    """Switch: case name -> the literal value it matches."""
    connection: str | None = None
    """The connection an ApiConnection or ServiceProvider action uses."""
    replayable: bool = False
    """Running it again gives the same outcome (Send Email through its idempotency key; a data
    operation whose expressions read no clock, random value or variable): its finished record
    may be written with the run's next write."""

    def part(self, role: str) -> CompiledValue:
        return self.compiled[role]


@dataclass(frozen=True)
class ScopeSpec:
    """The actions of one scope (the workflow, a Scope, a branch, a loop body)."""

    actions: Mapping[str, ActionSpec]
    order: tuple[str, ...]
    """A topological order of ``actions`` by ``runAfter`` (ties in document order)."""

    def successors(self, name: str) -> list[str]:
        return [a.name for a in self.actions.values() if name in a.run_after]


@dataclass(frozen=True)
class TriggerSpec:
    name: str
    type: str
    """``Request``, ``Recurrence`` or ``ApiConnection`` (a Salesforce polling trigger)."""
    pointer: str
    raw: Mapping[str, Any]
    compiled: Mapping[str, CompiledValue] = field(default_factory=dict)
    """``conditions`` (a list of compiled expressions, as one value) and ``splitOn``."""
    poll: SalesforcePoll | None = None
    """An ``ApiConnection`` (polling) trigger's checked question."""

    @property
    def inputs(self) -> Mapping[str, Any]:
        value = self.raw.get("inputs")
        return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class Definition:
    triggers: Mapping[str, TriggerSpec]
    root: ScopeSpec
    parameters: Mapping[str, Any]
    """Effective parameter values: the saved ``parameters`` values over the definition's
    ``defaultValue``s (``$connections`` included)."""
    actions: Mapping[str, ActionSpec]
    """Every action of every scope, by name (names are unique in a workflow)."""
    parents: Mapping[str, str | None]
    """Action name -> the name of the action whose scope holds it (``None``: top level)."""
    connections: tuple[ConnectionRef, ...] = ()
    variables: Mapping[str, str] = field(default_factory=dict)
    """Variable name (casefolded) -> declared type (from InitializeVariable)."""
    outputs: Mapping[str, tuple[str, CompiledValue]] = field(default_factory=dict)
    """The definition's ``outputs``: name -> (declared type, compiled value), evaluated when
    a run ends."""

    def trigger(self, name: str) -> TriggerSpec | None:
        if name in self.triggers:
            return self.triggers[name]
        folded = name.casefold()
        return next((t for n, t in self.triggers.items() if n.casefold() == folded), None)
