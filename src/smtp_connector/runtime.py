"""Wiring: from Settings to ready services (database upgraded, key loaded, bootstrap done)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from smtp_connector.config import Settings
from smtp_connector.connections import Connection, ConnectionStore
from smtp_connector.hosts import HostAllowList
from smtp_connector.inbox import LOCAL_INBOX, Inbox
from smtp_connector.keys import ApiKeyStore, NewApiKey, Scope
from smtp_connector.metrics import METRICS
from smtp_connector.outbox.delivery import Deliverer
from smtp_connector.outbox.heartbeat import LeaseKeeper
from smtp_connector.outbox.store import OutboxStore
from smtp_connector.outbox.submit import SendService
from smtp_connector.outbox.worker import Worker, default_worker_name
from smtp_connector.salesforce.connections import SalesforceConnectionStore
from smtp_connector.smtp.pool import SmtpPool
from smtp_connector.smtp.types import Security
from smtp_connector.store.db import Database, upgrade_schema
from smtp_connector.store.group_commit import GroupCommit
from smtp_connector.store.secrets import SecretBox, load_or_create_key_file
from smtp_connector.workflows.actions.base import ActionEnv
from smtp_connector.workflows.engine.runner import RunEngine
from smtp_connector.workflows.engine.store import RunStore
from smtp_connector.workflows.mail import WorkflowMail
from smtp_connector.workflows.service import WorkflowService
from smtp_connector.workflows.store import WorkflowStore
from smtp_connector.workflows.triggers.polling import Poller
from smtp_connector.workflows.triggers.recurrence import Scheduler


@dataclass
class Runtime:
    settings: Settings
    db: Database
    connections: ConnectionStore
    keys: ApiKeyStore
    outbox: OutboxStore
    pool: SmtpPool
    deliverer: Deliverer
    sender: SendService
    name: str
    """This process's name in leases and attempts (the API's first attempts add ``:api``)."""
    writes: GroupCommit
    """Commits the outbox's hot writes (enqueue, outcomes) of this process in groups."""
    workflows: WorkflowService
    runs: RunStore
    salesforce: SalesforceConnectionStore

    def worker(self) -> Worker:
        """A delivery worker for this process (``serve`` runs one unless ``--no-worker``)."""
        s = self.settings
        return Worker(
            self.outbox,
            self.deliverer,
            name=self.name,
            concurrency=s.worker_concurrency,
            poll_seconds=s.poll_seconds,
            retention=timedelta(days=s.retention_days) if s.retention_days else None,
        )

    def run_engine(self) -> RunEngine:
        """This process's workflow run engine (``serve`` and ``worker`` run one); it is also
        the one that executes the runs this process's triggers fire."""
        s = self.settings
        engine = RunEngine(
            self.runs,
            self.workflows.definition,
            ActionEnv(WorkflowMail(self.sender, s.idempotency_ttl_seconds)),
            name=self.name,
            lease_seconds=s.lease_seconds,
            concurrency=s.workflow_concurrency,
            poll_seconds=s.poll_seconds,
            retention=timedelta(days=s.retention_days) if s.retention_days else None,
            callback_urls=self.workflows.callback_value,
        )
        self.workflows.engine = engine
        return engine

    def scheduler(self) -> Scheduler:
        """Fires due Recurrence ticks (every process may run one: each tick fires once)."""
        return Scheduler(self.workflows, self.settings.poll_seconds, self.workflows.poller)

    async def close(self) -> None:
        await self.sender.drain()
        if self.workflows.poller is not None:
            await self.workflows.poller.close()
        await self.pool.close()
        self.writes.close()
        self.db.dispose()


def open_runtime(settings: Settings) -> Runtime:
    """Open the database, upgrade its schema, and load the encryption key."""
    db = Database(settings.resolved_database_url)
    upgrade_schema(db.engine)
    if settings.secret_key is not None:
        key = settings.secret_key.get_secret_value()
    else:
        key = load_or_create_key_file(settings.secret_key_file)
    hosts = HostAllowList.parse(settings.allowed_smtp_hosts)
    connections = ConnectionStore(db, SecretBox(key), hosts, cache_seconds=settings.cache_seconds)
    salesforce = SalesforceConnectionStore(db, SecretBox(key), hosts)
    writes = GroupCommit(db)
    outbox = OutboxStore(db, writes)
    pool = SmtpPool(
        max_sessions=settings.pool_max_sessions, idle_seconds=settings.pool_idle_seconds
    )
    deliverer = Deliverer(outbox, connections, pool, LeaseKeeper(outbox, settings.lease_seconds))
    name = settings.worker_name or default_worker_name()
    sender = SendService(
        connections,
        outbox,
        deliverer,
        settings.limits,
        name=f"{name}:api",
        wait_seconds=settings.send_wait_seconds,
        max_batch=settings.max_batch,
    )
    METRICS.watch_queue(outbox.counts)
    keys = ApiKeyStore(db, cache_seconds=settings.cache_seconds)
    runs = RunStore(db, writes)
    workflows = WorkflowService(
        WorkflowStore(db, SecretBox(key)),
        runs,
        connections,
        owner=name,
        lease_seconds=settings.lease_seconds,
        cache_seconds=settings.cache_seconds,
        response_seconds=settings.workflow_response_seconds,
    )
    workflows.poller = Poller(workflows, salesforce)
    workflows.public_url = settings.public_url
    workflows.listen_url = f"http://{settings.host}:{settings.port}"
    return Runtime(
        settings,
        db,
        connections,
        keys,
        outbox,
        pool,
        deliverer,
        sender,
        name,
        writes,
        workflows,
        runs,
        salesforce,
    )


def ensure_admin_key(runtime: Runtime, settings: Settings) -> NewApiKey | None:
    """Ensure ``SMTP_CONNECTOR_ADMIN_API_KEY`` exists; on a first start without it, create one.

    Returns the new key when one was generated (to be printed once), else None.
    """
    if settings.admin_api_key is not None:
        runtime.keys.ensure(
            "admin (environment)", Scope.ADMIN, settings.admin_api_key.get_secret_value()
        )
        return None
    if runtime.keys.count() == 0:
        return runtime.keys.create("admin (first start)", Scope.ADMIN)
    return None


def ensure_inbox_connection(runtime: Runtime, inbox: Inbox) -> Connection:
    """Point the ``local-inbox`` connection at the running inbox (created on first start)."""
    existing = runtime.connections.find(LOCAL_INBOX)
    if existing is None:
        return runtime.connections.create(
            Connection(
                name=LOCAL_INBOX,
                server=inbox.host,
                port=inbox.port,
                security=Security.NONE,
                timeout_seconds=10.0,
            ),
            None,
        )
    if (existing.server, existing.port) != (inbox.host, inbox.port):
        return runtime.connections.update(LOCAL_INBOX, {"server": inbox.host, "port": inbox.port})
    return existing
