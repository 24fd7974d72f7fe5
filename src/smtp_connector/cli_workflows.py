"""``smtp-connector workflows``: save a definition, list workflows and runs, fire a trigger.

These commands work on the database directly (like ``keys``); a run fired here is executed by
a running ``serve`` or ``worker``, which takes it within its poll interval.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from smtp_connector.config import Settings
from smtp_connector.errors import ConnectorError

if TYPE_CHECKING:
    from smtp_connector.runtime import Runtime
    from smtp_connector.workflows.store import StoredWorkflow

workflows_app = typer.Typer(help="Manage workflows (Logic Apps definitions).", no_args_is_help=True)

DataDir = Annotated[Path | None, typer.Option(help="Data directory (SQLite file, key file).")]
DatabaseUrl = Annotated[str | None, typer.Option(help="SQLAlchemy database URL.")]


def _runtime(data_dir: Path | None, database_url: str | None) -> Runtime:
    from smtp_connector.runtime import open_runtime

    overrides: dict[str, Any] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if database_url is not None:
        overrides["database_url"] = database_url
    return open_runtime(Settings(**overrides))


def _fail(exc: ConnectorError) -> typer.Exit:
    typer.echo(f"error: {exc.message}", err=True)
    for problem in getattr(exc, "problems", ()):
        column = f" (column {problem.column})" if problem.column else ""
        typer.echo(f"  {problem.field}: {problem.message}{column}", err=True)
    return typer.Exit(2)


async def _close_poller(runtime: Runtime) -> None:
    if runtime.workflows.poller is not None:
        await runtime.workflows.poller.close()


@workflows_app.command("put")
def put(
    file: Annotated[Path, typer.Argument(help="A workflow JSON file (code view or ARM export).")],
    name: Annotated[str | None, typer.Option(help="Default: the file name without .json")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create or replace a workflow from a JSON file."""
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        typer.echo(f"error: cannot read {file}: {exc}", err=True)
        raise typer.Exit(2) from exc
    runtime = _runtime(data_dir, database_url)

    async def save() -> tuple[StoredWorkflow, bool]:
        # As the API saves: Salesforce triggers are checked and start from now.
        try:
            return await runtime.workflows.save(name or file.stem, document)
        finally:
            await _close_poller(runtime)

    try:
        stored, created = asyncio.run(save())
    except ConnectorError as exc:
        raise _fail(exc) from exc
    finally:
        runtime.writes.close()
    verb = "created" if created else "replaced"
    typer.echo(f"{verb} {stored.name} (version {stored.version}, {stored.state})")


@workflows_app.command("list")
def list_(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """List workflows: name, state, version, triggers."""
    runtime = _runtime(data_dir, database_url)
    for stored in runtime.workflows.store.all():
        triggers = ",".join(stored.definition.get("triggers", {}) or {})
        typer.echo(f"{stored.name}\t{stored.state}\tv{stored.version}\t{triggers}")
    runtime.writes.close()


@workflows_app.command("runs")
def runs(
    name: str,
    top: Annotated[int, typer.Option(help="How many, newest first.")] = 20,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """List a workflow's runs, newest first: id, status, start time, error."""
    runtime = _runtime(data_dir, database_url)
    try:
        found = runtime.workflows.store.runs(name, status=None, after=None, limit=top)
    except ConnectorError as exc:
        raise _fail(exc) from exc
    finally:
        runtime.writes.close()
    for run in found:
        error = (run.error or {}).get("message", "")
        started = (run.started_at or run.created_at).isoformat()
        typer.echo(f"{run.id}\t{run.status.value}\t{started}\t{error}")


@workflows_app.command("run")
def run(
    name: str, trigger: str, data_dir: DataDir = None, database_url: DatabaseUrl = None
) -> None:
    """Fire a trigger by hand; a running serve or worker executes the run."""
    runtime = _runtime(data_dir, database_url)

    async def fire() -> list[str]:
        try:
            fired = await runtime.workflows.run_trigger(name, trigger)
        finally:
            await _close_poller(runtime)
        return list(fired.runs)

    try:
        ids = asyncio.run(fire())
    except ConnectorError as exc:
        raise _fail(exc) from exc
    finally:
        runtime.writes.close()
    for run_id in ids:
        typer.echo(run_id)
