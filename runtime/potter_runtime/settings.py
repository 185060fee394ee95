"""Base settings for generated services, read from the environment and ``.env``.

Generated ``settings.py`` files subclass ``ServiceSettings`` and set the default
``database_url``. This module must not create engines or servers.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from potter_runtime.store.snapshots import SnapshotPolicy


class ServiceSettings(BaseSettings):
    """Settings every generated service shares; env var names have no prefix.

    Attributes:
        host: Interface the HTTP server binds to (env ``HOST``).
        port: TCP port of the HTTP server (env ``PORT``).
        database_url: SQLAlchemy async URL of the event store (env ``DATABASE_URL``).
        log_level: uvicorn log level name (env ``LOG_LEVEL``).
        database_pool_size: Connections kept open to PostgreSQL, and the most
            opened (env ``DATABASE_POOL_SIZE``, int >= 1): a request finding all
            in use waits for one (SQLAlchemy's ``pool_timeout``, 30 s). The
            idempotency keys get a pool of the same size. SQLite ignores it.
        snapshot_interval: Events between aggregate snapshots (env
            ``SNAPSHOT_INTERVAL``, int >= 0, default 100); 0 takes none and
            replays every stream in full.
        migrations_dir: The alembic scripts directory checked at start on
            PostgreSQL (env ``MIGRATIONS_DIR``); "" for the project's ``migrations/``.
        projection_poll_seconds: Pause of a caught-up named projection before it
            reads new events again (env ``PROJECTION_POLL_SECONDS``, seconds > 0).
        redis_url: Redis for the query cache, shared by every replica (env
            ``REDIS_URL``, e.g. ``redis://localhost:6379/0``); None keeps it in memory.
        idempotency_key_ttl_seconds: How long an idempotency key and its first
            answer are kept (env ``IDEMPOTENCY_KEY_TTL_SECONDS``, float > 0,
            seconds; default 24 h, draft-ietf-httpapi-idempotency-key-header).
        log_json: Log one JSON object per line (env ``LOG_JSON``, bool); False for plain text.
        nats_url: NATS server with JetStream the outbox relay publishes events to
            (env ``NATS_URL``, e.g. ``nats://127.0.0.1:4222``); None keeps events in the process.
            With it, async commands also wait in a JetStream work queue.
        operation_lease_seconds: How long a worker holds an async command's
            operation before another may execute it (env
            ``OPERATION_LEASE_SECONDS``, float > 0, seconds; default 60); longer
            than any async command runs.
        operation_sweep_seconds: How often the operations table is swept for
            unfinished operations no queue holds (env ``OPERATION_SWEEP_SECONDS``,
            float > 0, seconds; default 30).
        event_max_deliver: Attempts an event subscriber gets per event before the
            event is parked on its dead-letter subject (env ``EVENT_MAX_DELIVER``, int >= 1).
        event_backoff_seconds: Delays before an event subscriber's 2nd, 3rd, …
            attempt (env ``EVENT_BACKOFF_SECONDS``, a JSON list of seconds; the last repeats).
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str
    log_level: str = "info"
    database_pool_size: int = Field(default=20, ge=1)
    snapshot_interval: int = Field(default=100, ge=0)
    migrations_dir: str = ""
    projection_poll_seconds: float = Field(default=0.2, gt=0)
    redis_url: str | None = None
    idempotency_key_ttl_seconds: float = Field(default=24 * 60 * 60, gt=0)
    log_json: bool = True
    nats_url: str | None = None
    event_max_deliver: int = Field(default=5, ge=1)
    event_backoff_seconds: list[float] = Field(default_factory=lambda: [1.0, 5.0, 30.0, 120.0])
    operation_lease_seconds: float = Field(default=60, gt=0)
    operation_sweep_seconds: float = Field(default=30, gt=0)

    def snapshot_policy(self) -> SnapshotPolicy | None:
        """Return the repositories' snapshot policy, or None when snapshots are off."""
        return SnapshotPolicy(self.snapshot_interval) if self.snapshot_interval else None
