"""The ``smtp-connector`` command: ``serve``, ``worker``, ``keys create|list|revoke``,
``workflows put|list|runs|run`` (``cli_workflows.py``), ``migrate``."""

from __future__ import annotations

import asyncio
import json
import shlex
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any

import typer

from smtp_connector.cli_workflows import workflows_app
from smtp_connector.config import SERVE_WORKER_ENV, Settings
from smtp_connector.errors import ConnectorError
from smtp_connector.examples import SEED_EXAMPLE
from smtp_connector.keys import Scope

app = typer.Typer(
    help="Send email through your own SMTP servers over an HTTP API.",
    no_args_is_help=True,
    add_completion=False,
)
keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(workflows_app, name="workflows")

DataDir = Annotated[Path | None, typer.Option(help="Data directory (SQLite file, key file).")]
DatabaseUrl = Annotated[str | None, typer.Option(help="SQLAlchemy database URL.")]


def _settings(**overrides: Any) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def _fail(exc: ConnectorError) -> typer.Exit:
    typer.echo(f"error: {exc.message}", err=True)
    return typer.Exit(2)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="HTTP port.")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    inbox_port: Annotated[int | None, typer.Option(help="Port of the local inbox.")] = None,
    no_inbox: Annotated[bool, typer.Option("--no-inbox", help="Do not run the inbox.")] = False,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Run the API alone; workers deliver.")
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Processes serving the API on the one port, each with its own delivery worker "
            "(the outbox is all they share). Above 1 needs --no-inbox.",
        ),
    ] = 1,
) -> None:
    """Run the HTTP API with a delivery worker (and the local inbox, with its connection)."""
    import uvicorn

    from smtp_connector.api.app import create_app
    from smtp_connector.inbox import Inbox
    from smtp_connector.logs import configure
    from smtp_connector.runtime import ensure_admin_key, ensure_inbox_connection, open_runtime

    settings = _settings(
        host=host,
        port=port,
        data_dir=data_dir,
        database_url=database_url,
        inbox_port=inbox_port,
        inbox=False if no_inbox else None,
    )
    configure(settings.log_level)
    if workers > 1 and settings.inbox:
        typer.echo("error: --workers above 1 needs --no-inbox (the inbox lives in one process)")
        raise typer.Exit(2)
    try:
        runtime = open_runtime(settings)
        new_key = ensure_admin_key(runtime, settings)
    except ConnectorError as exc:
        raise _fail(exc) from exc
    if workers > 1:
        _banner(settings, new_key.secret if new_key else None, None)
        runtime.db.dispose()
        _serve_processes(settings, workers, no_worker)
        return
    inbox = None
    if settings.inbox:
        inbox = Inbox(settings.inbox_host, settings.inbox_port, settings.inbox_capacity)
        inbox.start()
        try:
            ensure_inbox_connection(runtime, inbox)
        except ConnectorError as exc:
            inbox.stop()
            raise _fail(exc) from exc
    _banner(settings, new_key.secret if new_key else None, inbox)
    app_ = create_app(settings, runtime=runtime, inbox=inbox, worker=not no_worker)
    config = uvicorn.Config(
        app_, host=settings.host, port=settings.port, log_level=settings.log_level, access_log=False
    )
    try:
        uvicorn.Server(config).run()
    finally:
        if inbox is not None:
            inbox.stop()
        runtime.db.dispose()


@app.command()
def worker(
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    concurrency: Annotated[int | None, typer.Option(help="Messages in flight.")] = None,
    name: Annotated[str | None, typer.Option(help="Worker name (default host:pid).")] = None,
    metrics_port: Annotated[
        int | None, typer.Option(help="Serve /metrics on this port (127.0.0.1).")
    ] = None,
) -> None:
    """Deliver queued messages and execute workflow runs without serving the API; SIGTERM
    drains and exits."""
    import signal

    from smtp_connector.logs import configure
    from smtp_connector.metrics import METRICS
    from smtp_connector.runtime import open_runtime

    settings = _settings(
        data_dir=data_dir,
        database_url=database_url,
        worker_concurrency=concurrency,
        worker_name=name,
    )
    configure(settings.log_level)
    try:
        runtime = open_runtime(settings)
    except ConnectorError as exc:
        raise _fail(exc) from exc
    if metrics_port is not None:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr="127.0.0.1", registry=METRICS.registry)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        engine = runtime.run_engine()
        runs = asyncio.create_task(engine.serve(stop))
        ticks = asyncio.create_task(runtime.scheduler().serve(stop))
        try:
            await runtime.worker().run(stop)
        finally:
            await engine.close()
            await asyncio.gather(runs, ticks, return_exceptions=True)
            await runtime.close()

    _run(main())


def _serve_processes(settings: Settings, workers: int, no_worker: bool) -> None:
    """uvicorn's process manager: ``workers`` processes accept on one socket; each builds its
    own app from the environment (``api.app.app_from_environment``), set here to this
    process's resolved settings, and restarts if it dies."""
    import os

    import uvicorn

    os.environ["SMTP_CONNECTOR_DATA_DIR"] = str(settings.data_dir.resolve())
    os.environ["SMTP_CONNECTOR_DATABASE_URL"] = settings.resolved_database_url
    os.environ["SMTP_CONNECTOR_INBOX"] = "false"
    os.environ[SERVE_WORKER_ENV] = "false" if no_worker else "true"
    uvicorn.run(
        "smtp_connector.api.app:app_from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_level=settings.log_level,
        access_log=False,
    )


def _run(main: Coroutine[Any, Any, None]) -> None:
    """Run ``main`` on uvloop where it is installed (as uvicorn does for ``serve``)."""
    try:
        import uvloop
    except ImportError:  # not on this platform
        asyncio.run(main)
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main)


def _banner(settings: Settings, new_key: str | None, inbox: Any) -> None:
    base = f"http://{settings.host}:{settings.port}"
    echo = typer.echo
    echo(f"smtp-connector {base}  (API docs: {base}/docs)")
    if new_key:
        echo("Admin API key, shown this once; keep it:")
        echo(f"  {new_key}")
        key = new_key
    else:
        key = "$SMTP_CONNECTOR_KEY"
        echo("Use your admin API key (printed at first start, or: smtp-connector keys create).")
    if inbox is not None:
        echo(f"Local inbox: SMTP on {inbox.host}:{inbox.port}, connection 'local-inbox'.")
        body = shlex.quote(json.dumps(SEED_EXAMPLE))
        echo("Send the example email:")
        echo(
            f"  curl -s -X POST {base}/v1/connections/local-inbox/send \\\n"
            f'    -H "Authorization: Bearer {key}" -H "Content-Type: application/json" \\\n'
            f"    -d {body}"
        )
        echo(f'See it arrive:  curl -s {base}/v1/inbox -H "Authorization: Bearer {key}"')


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who or what uses the key.")],
    scope: Annotated[Scope, typer.Option(help="send: send and read; admin: everything.")] = (
        Scope.SEND
    ),
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create an API key and print it (the only time it is shown)."""
    from smtp_connector.runtime import open_runtime

    runtime = open_runtime(_settings(data_dir=data_dir, database_url=database_url))
    new = runtime.keys.create(name, scope)
    typer.echo(new.secret)
    typer.echo(f"id={new.key.id} name={new.key.name} scope={new.key.scope}", err=True)


@keys_app.command("list")
def keys_list(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """List API keys (never their values)."""
    from smtp_connector.runtime import open_runtime

    runtime = open_runtime(_settings(data_dir=data_dir, database_url=database_url))
    for key in runtime.keys.list():
        state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
        typer.echo(f"{key.id}\t{key.scope}\t{state}\t{key.prefix}...\t{key.name}")


@keys_app.command("revoke")
def keys_revoke(key_id: str, data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Revoke an API key by its id (see ``keys list``)."""
    from smtp_connector.runtime import open_runtime

    runtime = open_runtime(_settings(data_dir=data_dir, database_url=database_url))
    try:
        key = runtime.keys.revoke(key_id)
    except ConnectorError as exc:
        raise _fail(exc) from exc
    typer.echo(f"revoked {key.id} ({key.name})")


@app.command()
def migrate(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Create or upgrade the database schema (serve does this too)."""
    from smtp_connector.runtime import open_runtime

    open_runtime(_settings(data_dir=data_dir, database_url=database_url)).db.dispose()
    typer.echo("database is up to date")


def main() -> None:
    app()
