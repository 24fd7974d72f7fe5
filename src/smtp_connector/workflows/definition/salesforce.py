"""The Salesforce polling trigger in Logic Apps' own shape: an ``ApiConnection`` trigger whose
``path`` is ``/datasets/default/tables/<object, URL-encoded twice>/onnewitems`` (or
``onupdateditems``), with optional ``queries`` (``$filter`` in OData, ``$select``) and the
``recurrence`` it polls on.

Everything is checked when the workflow is saved: the connection reference, the path (a
template evaluated with the workflow's parameters), the object name, the filter (translated to
SOQL once, here) and the recurrence. Checking the object and its fields against Salesforce's
``describe`` happens later, where the network may be used (``workflows/triggers/polling.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from smtp_connector.salesforce.odata import FilterError, fields_in, filter_to_soql, select_fields
from smtp_connector.salesforce.polling import EVENTS, PollQuery
from smtp_connector.workflows.definition.connections import resolve_api_connection
from smtp_connector.workflows.definition.problems import Problems, child
from smtp_connector.workflows.expressions import ExpressionError, StaticContext, compile_value

_OBJECT = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,79}")
_PATH_HEAD = ("datasets", "default", "tables")
SalesforceExists = Callable[[str], bool]


@dataclass(frozen=True)
class SalesforcePoll:
    """A checked Salesforce trigger: which connection, and what each poll asks."""

    connection: str
    event: str
    """``onnewitems`` or ``onupdateditems``."""
    sobject: str
    selected: tuple[str, ...] | None
    """``$select``'s fields; None: every field of the object (from ``describe``)."""
    condition: str | None
    """``$filter`` in SOQL."""
    filter_fields: tuple[str, ...] = ()

    @property
    def stamp(self) -> str:
        return EVENTS[self.event]

    def query(self, fields: tuple[str, ...] | None = None) -> PollQuery:
        """The poll's question, with ``fields`` (every field) when ``$select`` is absent."""
        chosen = self.selected or fields or ("Id",)
        return PollQuery(self.sobject, self.stamp, chosen, self.condition)


def parse_salesforce_trigger(
    spec: Mapping[str, Any],
    at: str,
    problems: Problems,
    parameters: Mapping[str, Any],
    exists: SalesforceExists | None,
) -> SalesforcePoll | None:
    """The trigger's poll, or None after adding each problem found."""
    inputs = spec.get("inputs")
    if not isinstance(inputs, Mapping):
        problems.add(child(at, "inputs"), "inputs must be an object with host, method and path")
        return None
    before = len(problems.items)
    connection = _connection(inputs, at, problems, parameters, exists)
    method = inputs.get("method", "get")
    if not isinstance(method, str) or method.lower() != "get":
        problems.add(child(at, "inputs", "method"), "a polling trigger's method is get")
    where = _path(inputs.get("path"), child(at, "inputs", "path"), problems, parameters)
    queries = inputs.get("queries", {})
    condition: str | None = None
    filtered: tuple[str, ...] = ()
    selected: tuple[str, ...] | None = None
    if not isinstance(queries, Mapping):
        problems.add(child(at, "inputs", "queries"), "queries must be an object")
    else:
        condition, filtered = _filter(queries.get("$filter"), at, problems)
        selected = _select(queries.get("$select"), at, problems)
    if "recurrence" not in spec:
        problems.add(
            child(at, "recurrence"),
            'a polling trigger needs a recurrence, such as {"frequency": "Minute", "interval": 3}',
        )
    if len(problems.items) > before or connection is None or where is None:
        return None
    sobject, event = where
    return SalesforcePoll(connection, event, sobject, selected, condition, filtered)


def _connection(
    inputs: Mapping[str, Any],
    at: str,
    problems: Problems,
    parameters: Mapping[str, Any],
    exists: SalesforceExists | None,
) -> str | None:
    host = inputs.get("host")
    where = child(at, "inputs", "host", "connection")
    if not isinstance(host, Mapping):
        problems.add(child(at, "inputs", "host"), "host must be an object with connection")
        return None
    try:
        name = resolve_api_connection(host, parameters)
    except ValueError as exc:
        problems.add(where, str(exc))
        return None
    if exists is not None and not exists(name):
        problems.add(
            where,
            f"there is no Salesforce connection named '{name}'; create it with POST "
            '/v1/connections and "type": "salesforce" first',
        )
        return None
    return name


def _path(
    raw: Any, at: str, problems: Problems, parameters: Mapping[str, Any]
) -> tuple[str, str] | None:
    """(object, event) from the path template, or None after a problem."""
    supported = ", ".join(EVENTS)
    shape = f"/datasets/default/tables/<object>/<{' or '.join(EVENTS)}>"
    if not isinstance(raw, str) or len(raw) > 2048:
        problems.add(at, f"path must be a string such as {shape}")
        return None
    try:
        path = compile_value(raw).evaluate(StaticContext(parameters=dict(parameters)))
    except ExpressionError as exc:
        problems.add(at, f"the path cannot be evaluated when the workflow is saved: {exc.message}")
        return None
    if not isinstance(path, str):
        problems.add(at, f"path must give a string such as {shape}")
        return None
    segments = path.strip("/").split("/")
    if len(segments) != 5 or tuple(s.lower() for s in segments[:3]) != _PATH_HEAD:
        problems.add(at, f"path {path!r} is not a Salesforce trigger path ({shape})")
        return None
    sobject, event = unquote(unquote(segments[3])), segments[4].lower()
    if event not in EVENTS:
        problems.add(
            at, f"the trigger operation {segments[4]!r} is not supported; supported: {supported}"
        )
        return None
    if _OBJECT.fullmatch(sobject) is None:
        problems.add(at, f"{sobject!r} is not a Salesforce object name")
        return None
    return sobject, event


def _filter(raw: Any, at: str, problems: Problems) -> tuple[str | None, tuple[str, ...]]:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, ()
    where = child(at, "inputs", "queries", "$filter")
    if not isinstance(raw, str):
        problems.add(where, "$filter must be a string (an OData filter)")
        return None, ()
    try:
        return filter_to_soql(raw), tuple(fields_in(raw))
    except FilterError as exc:
        problems.add(where, exc.message, column=exc.column)
        return None, ()


def _select(raw: Any, at: str, problems: Problems) -> tuple[str, ...] | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    where = child(at, "inputs", "queries", "$select")
    if not isinstance(raw, str):
        problems.add(where, "$select must be a string of comma-separated field names")
        return None
    try:
        return tuple(select_fields(raw))
    except FilterError as exc:
        problems.add(where, exc.message)
        return None
