"""Append-only event store with optimistic concurrency, on SQLAlchemy 2 async.

Concurrency is enforced by the database through a UNIQUE(aggregate_type,
aggregate_id, version) constraint, so two writers can never both append the same
version. Only SQLAlchemy Core constructs are used, keeping the store
dialect-neutral (``sqlite+aiosqlite://`` now, ``postgresql+asyncpg://`` later).
This module must not know about aggregates or pydantic models; payloads are JSON dicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    event,
    func,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from potter_runtime.errors import ConcurrencyError

metadata = MetaData()

events_table = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("aggregate_type", String(200), nullable=False),
    Column("aggregate_id", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("event_version", Integer, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint(
        "aggregate_type", "aggregate_id", "version", name="uq_events_stream_version"
    ),
)


@dataclass(frozen=True)
class NewEvent:
    """An event about to be appended.

    Attributes:
        event_type: Envelope type, e.g. ``"item.created"``.
        event_version: Payload schema version (int).
        payload: JSON-compatible event body.
    """

    event_type: str
    event_version: int
    payload: dict[str, Any]


@dataclass(frozen=True)
class StoredEvent:
    """An event read back from a stream.

    Attributes:
        aggregate_type: Stream kind.
        aggregate_id: Stream identifier.
        version: 1-based position of the event in its stream (int).
        event_type: Envelope type.
        event_version: Payload schema version (int).
        payload: JSON-compatible event body.
        recorded_at: When the event was appended (timezone-aware, UTC).
    """

    aggregate_type: str
    aggregate_id: str
    version: int
    event_type: str
    event_version: int
    payload: dict[str, Any]
    recorded_at: datetime


class EventStore(Protocol):
    """Port for event persistence; implementations must be safe across processes."""

    async def append(
        self,
        aggregate_type: str,
        aggregate_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
    ) -> int:
        """Append events to a stream if it is still at ``expected_version``.

        Args:
            aggregate_type: Stream kind.
            aggregate_id: Stream identifier.
            expected_version: Version (event count) the caller last saw; 0 for a new stream.
            events: Events to append, in order.

        Returns:
            The stream's new version (int).

        Raises:
            ConcurrencyError: The stream's version is not ``expected_version``.
        """
        ...

    async def load(self, aggregate_type: str, aggregate_id: str) -> list[StoredEvent]:
        """Return a stream's events ordered by version; empty if it does not exist."""
        ...

    async def aggregate_ids(self, aggregate_type: str) -> list[str]:
        """Return the ids of all streams of a kind, in order of their first append."""
        ...


class SqlEventStore:
    """``EventStore`` on any SQLAlchemy async engine (SQLite, PostgreSQL).

    Args:
        url: SQLAlchemy async URL, e.g. ``"sqlite+aiosqlite:///./app.db"``.
    """

    def __init__(self, url: str) -> None:
        connect_args: dict[str, Any] = {}
        if make_url(url).get_backend_name() == "sqlite":
            # Wait for a competing writer's lock (seconds) instead of failing at once.
            connect_args["timeout"] = 30
        self.engine: AsyncEngine = create_async_engine(url, connect_args=connect_args)
        if connect_args:
            event.listen(self.engine.sync_engine, "connect", _enable_sqlite_wal)

    async def create_schema(self) -> None:
        """Create the ``events`` table and its constraint if missing (idempotent)."""
        async with self.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)

    async def close(self) -> None:
        """Dispose of the engine's connection pool."""
        await self.engine.dispose()

    async def append(
        self,
        aggregate_type: str,
        aggregate_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
    ) -> int:
        """Append events; see ``EventStore.append``.

        Raises:
            ConcurrencyError: The stream moved past ``expected_version``, detected
                up front or by the UNIQUE constraint when a writer races us.
        """
        if not events:
            return expected_version
        stream = (
            events_table.c.aggregate_type == aggregate_type,
            events_table.c.aggregate_id == aggregate_id,
        )
        now = datetime.now(UTC)
        rows = [
            {
                "aggregate_type": aggregate_type,
                "aggregate_id": aggregate_id,
                "version": expected_version + offset,
                "event_type": event.event_type,
                "event_version": event.event_version,
                "payload": event.payload,
                "recorded_at": now,
            }
            for offset, event in enumerate(events, start=1)
        ]
        try:
            async with self.engine.begin() as conn:
                current = await conn.scalar(
                    select(func.coalesce(func.max(events_table.c.version), 0)).where(
                        *stream
                    )
                )
                if current != expected_version:
                    raise _conflict(
                        aggregate_type, aggregate_id, expected_version, current
                    )
                await conn.execute(events_table.insert(), rows)
        except IntegrityError as exc:
            raise _conflict(
                aggregate_type, aggregate_id, expected_version, None
            ) from exc
        return expected_version + len(events)

    async def load(self, aggregate_type: str, aggregate_id: str) -> list[StoredEvent]:
        """Return a stream's events ordered by version; see ``EventStore.load``."""
        query = (
            select(events_table)
            .where(
                events_table.c.aggregate_type == aggregate_type,
                events_table.c.aggregate_id == aggregate_id,
            )
            .order_by(events_table.c.version)
        )
        async with self.engine.connect() as conn:
            result = await conn.execute(query)
            return [
                StoredEvent(
                    aggregate_type=row.aggregate_type,
                    aggregate_id=row.aggregate_id,
                    version=row.version,
                    event_type=row.event_type,
                    event_version=row.event_version,
                    payload=row.payload,
                    recorded_at=_as_utc(row.recorded_at),
                )
                for row in result
            ]

    async def aggregate_ids(self, aggregate_type: str) -> list[str]:
        """Return stream ids in first-append order; see ``EventStore.aggregate_ids``."""
        query = (
            select(events_table.c.aggregate_id)
            .where(events_table.c.aggregate_type == aggregate_type)
            .group_by(events_table.c.aggregate_id)
            .order_by(func.min(events_table.c.id))
        )
        async with self.engine.connect() as conn:
            return list((await conn.scalars(query)).all())


def _conflict(
    aggregate_type: str, aggregate_id: str, expected: int, actual: int | None
) -> ConcurrencyError:
    found = "a concurrent write" if actual is None else f"version {actual}"
    return ConcurrencyError(
        f"{aggregate_type} '{aggregate_id}' was modified concurrently: expected version "
        f"{expected}, found {found}; reload and retry"
    )


def _enable_sqlite_wal(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers proceed while one writer appends.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _as_utc(value: datetime) -> datetime:
    # SQLite drops the offset on DateTime(timezone=True); values were written in UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
