"""JSON shapes of workflows, runs, action records and trigger histories in the API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from smtp_connector.workflows.definition.model import Definition
from smtp_connector.workflows.engine.records import ActionResult, iso
from smtp_connector.workflows.engine.rows import StoredRun
from smtp_connector.workflows.store import HistoryEntry, StoredWorkflow

WORKFLOW_DOCUMENT = {
    "type": "object",
    "description": "A Logic Apps workflow: `{definition, parameters, state}`, or the ARM "
    "resource exported from the portal, `{properties: {definition, parameters, state}, ...}`.",
    "properties": {
        "definition": {"type": "object", "description": "The Workflow Definition Language."},
        "parameters": {"type": "object", "description": "`{name: {value}}`, `$connections` too."},
        "state": {"type": "string", "enum": ["Enabled", "Disabled"]},
        "properties": {"type": "object"},
    },
}


def workflow_json(stored: StoredWorkflow) -> dict[str, Any]:
    return {
        **stored.extra,
        "name": stored.name,
        "state": stored.state,
        "version": stored.version,
        "createdTime": iso(stored.created_at),
        "changedTime": iso(stored.changed_at),
        "definition": stored.definition,
        "parameters": stored.parameters,
    }


def run_json(run: StoredRun) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "name": run.id,
        "workflow": {"name": run.workflow, "version": run.version},
        "status": run.status.value,
        "code": run.code,
        "error": run.error,
        "startTime": iso(run.started_at or run.created_at),
        "endTime": iso(run.ended_at),
        "trigger": run.trigger,
        "attempts": run.attempts,
    }
    if run.response is not None:
        answer["response"] = run.response
    if run.outputs is not None:
        answer["outputs"] = run.outputs
    if run.due_at is not None and run.status.value == "Waiting":
        answer["waitEndTime"] = iso(run.due_at)
    return answer


def repetition_indexes(
    definition: Definition | None, action: str, repetition: str
) -> list[dict[str, Any]]:
    """``[{scopeName, itemIndex}]`` of the loops around ``action``, outermost first."""
    if not repetition:
        return []
    indexes = [int(part) for part in repetition.split("-")]
    loops: list[str] = []
    if definition is not None:
        parent = definition.parents.get(action)
        while parent is not None:
            if definition.actions[parent].type in ("Foreach", "Until"):
                loops.append(parent)
            parent = definition.parents.get(parent)
        loops.reverse()
    if len(loops) != len(indexes):
        loops = [""] * len(indexes)
    return [{"scopeName": s, "itemIndex": i} for s, i in zip(loops, indexes, strict=True)]


def secured(definition: Definition | None, action: str) -> list[str]:
    """What the action's ``runtimeConfiguration.secureData.properties`` hides from the run
    history: ``inputs``, ``outputs`` or both (any case)."""
    spec = definition.actions.get(action) if definition is not None else None
    config = spec.raw.get("runtimeConfiguration") if spec is not None else None
    secure = config.get("secureData") if isinstance(config, Mapping) else None
    wanted = secure.get("properties") if isinstance(secure, Mapping) else None
    if not isinstance(wanted, list):
        return []
    folded = {str(p).casefold() for p in wanted}
    return [part for part in ("inputs", "outputs") if part in folded]


def action_json(result: ActionResult, definition: Definition | None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "name": result.name,
        "status": result.status.value,
        "code": result.code,
        "startTime": iso(result.started_at),
        "endTime": iso(result.ended_at),
        "error": result.error,
        "inputs": result.inputs,
        "outputs": result.outputs,
        "retryHistory": result.retry_history,
    }
    if result.repetition:
        answer["repetitionIndexes"] = repetition_indexes(definition, result.name, result.repetition)
    hidden = secured(definition, result.name)
    if hidden:
        for part in hidden:
            answer[part] = None
        answer["secured"] = hidden
    return answer


def history_json(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "name": entry.id,
        "trigger": entry.trigger,
        "status": entry.status,
        "code": entry.code,
        "error": entry.error,
        "fired": entry.fired,
        "startTime": iso(entry.started_at),
        "endTime": iso(entry.ended_at),
        "scheduledTime": iso(entry.scheduled_at),
        "run": {"name": entry.runs[0]} if entry.runs else None,
        "runs": entry.runs,
        **({"records": entry.records} if entry.records is not None else {}),
    }
