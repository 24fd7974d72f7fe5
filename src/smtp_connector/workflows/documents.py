"""The saved document of a workflow: the plain shape and the ARM resource shape exported from
the portal, both accepted; the definition itself is kept exactly as given."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from smtp_connector.workflows.definition.problems import Problems
from smtp_connector.workflows.store import DISABLED, ENABLED

NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.()")
MAX_NAME = 80


@dataclass(frozen=True)
class WorkflowDocument:
    definition: Any
    parameters: dict[str, Any]
    state: str
    extra: dict[str, Any]
    """Other keys of the document, returned unchanged (an ARM resource's ``location``, ...)."""
    prefix: str
    """Where the definition sits in the document: ``""`` or ``/properties``."""
    bare: bool = False
    """The document is the definition itself (its pointers start at ``/``)."""


def check_name(name: str) -> str | None:
    """Why ``name`` cannot be a workflow's name, or ``None``."""
    if not 1 <= len(name) <= MAX_NAME:
        return f"a workflow name has 1 to {MAX_NAME} characters"
    if not set(name) <= NAME_CHARACTERS:
        return "a workflow name may hold letters, digits and - _ . ( ) only"
    return None


def parse_document(body: Any, problems: Problems) -> WorkflowDocument:
    """Read ``{"definition", "parameters", "state"}``, ``{"properties": {...}, ...}`` (the ARM
    resource) or a bare definition ``{"triggers", "actions", ...}``."""
    if not isinstance(body, Mapping):
        problems.add("/", "the body must be a JSON object with 'definition'")
        return WorkflowDocument({}, {}, ENABLED, {}, "")
    if (
        "definition" not in body
        and "properties" not in body
        and ("triggers" in body or "actions" in body)
    ):  # a bare definition, as some templates store it: no parameters, enabled
        return WorkflowDocument(body, {}, ENABLED, {}, "", bare=True)
    prefix = ""
    source: Mapping[str, Any] = body
    extra = {k: v for k, v in body.items() if k not in ("definition", "parameters", "state")}
    if "definition" not in body and isinstance(body.get("properties"), Mapping):
        prefix = "/properties"
        source = body["properties"]
        extra = {k: v for k, v in body.items() if k != "properties"}
        others = {k: v for k, v in source.items() if k not in ("definition", "parameters", "state")}
        if others:
            extra["properties"] = others
    if "definition" not in source:
        problems.add(prefix + "/definition", "a workflow needs a 'definition'")
    parameters = source.get("parameters") or {}
    if not isinstance(parameters, Mapping):
        problems.add(prefix + "/parameters", "parameters must be an object of {name: {value}}")
        parameters = {}
    state_text = source.get("state", ENABLED)
    state = {ENABLED.casefold(): ENABLED, DISABLED.casefold(): DISABLED}.get(
        str(state_text).casefold()
    )
    if state is None:
        problems.add(prefix + "/state", "state must be Enabled or Disabled")
        state = ENABLED
    return WorkflowDocument(source.get("definition"), dict(parameters), state, extra, prefix)
