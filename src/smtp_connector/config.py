"""Settings from the environment (prefix ``SMTP_CONNECTOR_``), overridable by CLI flags."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from smtp_connector.mail.limits import MB, Limits

SERVE_WORKER_ENV = "SMTP_CONNECTOR_SERVE_WORKER"
"""Set by ``serve --workers N`` for its processes: whether each runs a delivery worker."""


class Settings(BaseSettings):
    """Everything the server needs to start; see the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="SMTP_CONNECTOR_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Where the SQLite file and key live.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite in the data directory."
    )
    secret_key: SecretStr | None = Field(
        default=None, description="Encrypts passwords at rest; default: a generated key file."
    )
    admin_api_key: SecretStr | None = Field(
        default=None, description="When set, an admin API key with exactly this value is ensured."
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    inbox: bool = Field(default=True, description="Run the built-in local inbox (SMTP capture).")
    inbox_host: str = "127.0.0.1"
    inbox_port: int = Field(default=2525, ge=0, le=65535)
    inbox_capacity: int = Field(default=1000, ge=1)
    max_recipients: int = Field(default=500, ge=1)
    max_attachments: int = Field(default=250, ge=0)
    max_attachment_bytes: int = Field(default=25 * MB, ge=1)
    max_message_bytes: int = Field(default=35 * MB, ge=1)
    log_level: str = "info"
    # Durable delivery
    send_wait_seconds: float = Field(
        default=10.0,
        ge=0,
        description="How long a request without Prefer: respond-async waits "
        "for the first attempt before answering 202.",
    )
    lease_seconds: float = Field(
        default=30.0,
        ge=3,
        description="How long a claim lasts unless renewed; the process holding it renews it "
        "every third of this, and a killed process's messages return after it.",
    )
    worker_concurrency: int = Field(default=64, ge=1, description="Messages in flight per worker.")
    poll_seconds: float = Field(default=0.5, gt=0, description="Idle worker's look at the queue.")
    pool_max_sessions: int = Field(default=4, ge=1, description="SMTP sessions per connection.")
    pool_idle_seconds: float = Field(default=30.0, gt=0)
    max_batch: int = Field(default=1000, ge=1, description="Messages in one send-batch call.")
    idempotency_ttl_seconds: float = Field(default=86400.0, ge=86400.0)
    allowed_smtp_hosts: str | None = Field(
        default=None,
        description="Comma-separated host names, *.domain wildcards, IPs and "
        "networks that connections may point at; unset: any (but link-local and metadata).",
    )
    retention_days: float = Field(
        default=30.0,
        ge=0,
        description="Keep sent, failed and cancelled messages this long; 0 keeps them forever.",
    )
    worker_name: str | None = Field(default=None, description="Default: host name and process id.")
    workflow_concurrency: int = Field(
        default=64, ge=1, description="Workflow runs executing at once in one process."
    )
    workflow_response_seconds: float = Field(
        default=120.0,
        gt=0,
        description="How long a call to a Request trigger waits for the run's Response action "
        "before answering 504 (the run goes on).",
    )
    public_url: str | None = Field(
        default=None,
        description="The service's URL as callers reach it, for callback URLs; default: the "
        "URL of the request that asks for one.",
    )
    cache_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How long a process reuses an API key or connection it read; another "
        "process's revocation or edit takes effect within it. 0: read every time.",
    )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'smtp-connector.db').resolve()}"

    @property
    def secret_key_file(self) -> Path:
        return self.data_dir / "secret.key"

    @property
    def limits(self) -> Limits:
        return Limits(
            max_recipients=self.max_recipients,
            max_attachments=self.max_attachments,
            max_attachment_bytes=self.max_attachment_bytes,
            max_message_bytes=self.max_message_bytes,
        )
