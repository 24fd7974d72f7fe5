"""Leaf action type -> implementation. Control actions (If, Switch, Foreach, Until, Scope) are
the executor's own: they hold other actions."""

from __future__ import annotations

from smtp_connector.workflows.actions import data, flow, variables
from smtp_connector.workflows.actions.base import LeafAction
from smtp_connector.workflows.actions.send_email import send_email

LEAF_ACTIONS: dict[str, LeafAction] = {
    "Compose": data.compose,
    "ParseJson": data.parse_json,
    "Query": data.query,
    "Select": data.select,
    "InitializeVariable": variables.initialize,
    "SetVariable": variables.set_variable,
    "IncrementVariable": variables.increment,
    "DecrementVariable": variables.decrement,
    "AppendToArrayVariable": variables.append_to_array,
    "AppendToStringVariable": variables.append_to_string,
    "Response": flow.response,
    "Terminate": flow.terminate,
    "Wait": flow.wait,
    "ApiConnection": send_email,
    "ServiceProvider": send_email,
}

SELF_EVALUATING = frozenset({"Query", "Select"})
"""Actions whose inputs hold per-item expressions: they evaluate their own parts."""
