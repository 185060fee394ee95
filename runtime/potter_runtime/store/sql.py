"""``EventStore`` statements shared by the SQL backends, in SQLAlchemy Core.

``SqlAlchemyEventStore`` holds the dialect-neutral SQL; each backend module
(``sqlite.py``, ``postgres.py``) subclasses it with what differs: engine options,
how an append serialises with other appends, and the snapshot upsert.
This module must not know about aggregates or pydantic models.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Executable, Row, delete, func, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from potter_runtime.errors import ConcurrencyError, InvalidArgumentError
from potter_runtime.store.port import EventMetadata, NewEvent, Snapshot, StoredEvent
from potter_runtime.store.schema import (
    aggregate_counts_table,
    aggregate_states_table,
    events_table,
    metadata,
    snapshots_table,
)


class SqlAlchemyEventStore(ABC):
    """``EventStore`` over one SQLAlchemy async engine; subclassed per backend.

    Args:
        url: SQLAlchemy async URL, e.g. ``"sqlite+aiosqlite:///./app.db"``.
        engine_options: Extra keyword arguments for ``create_async_engine``
            (e.g. ``pool_size``); they override the backend's defaults.

    Attributes:
        engine: The engine; read models share it to write in the append's transaction.
        reads: The same engine and pool in autocommit mode, for single-statement
            reads: no BEGIN/ROLLBACK round trips around a SELECT (one statement
            is its own consistent snapshot).
    """

    def __init__(self, url: str, **engine_options: Any) -> None:
        self.engine: AsyncEngine = create_async_engine(url, **(self._engine_options() | engine_options))
        self.reads: AsyncEngine = autocommit(self.engine)

    def _engine_options(self) -> dict[str, Any]:
        """Return the backend's default ``create_async_engine`` keyword arguments."""
        return {}

    @abstractmethod
    async def _lock_for_append(self, conn: AsyncConnection) -> None:
        """Serialise this transaction with every other append until it ends.

        Commit order must equal position order, so a reader following
        ``position`` never passes an event that commits later with a lower one.
        """

    async def lock_appends(self, conn: AsyncConnection) -> None:
        """Hold off every append until ``conn``'s transaction ends (rebuilding the state projection).

        Args:
            conn: A connection of this store's engine, inside a transaction.
        """
        await self._lock_for_append(conn)

    @abstractmethod
    def _upsert_snapshot(self, row: dict[str, Any]) -> Executable:
        """Return an INSERT of a snapshot row that replaces the stream's row if that one is older."""

    async def create_schema(self) -> None:
        """Create the runtime's tables if missing (idempotent); migrations do this in production.

        Raises:
            RuntimeError: An ``events`` table from before ``position`` existed
                (potter_runtime 0.1) is in the database; it is not altered.
        """
        async with self.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            columns = await conn.run_sync(lambda sync: {c["name"] for c in inspect(sync).get_columns("events")})
        if "position" not in columns:
            raise RuntimeError(
                f"the events table in {self.engine.url.render_as_string(hide_password=True)} predates "
                "potter_runtime 0.2 (no position column); move that database aside and start again"
            )

    async def close(self) -> None:
        """Dispose of the engine's connection pool."""
        await self.engine.dispose()

    async def append(
        self,
        aggregate_type: str,
        aggregate_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        *,
        state: dict[str, Any] | None = None,
        deleted: bool = False,
    ) -> int:
        """Append events in a transaction of their own; see ``EventStore.append``.

        Raises:
            ConcurrencyError: The stream is not at ``expected_version``.
            sqlalchemy.exc.IntegrityError: An event id is already stored.
        """
        if not events:
            return expected_version
        async with self.engine.begin() as conn:
            return await self.append_in(
                conn, aggregate_type, aggregate_id, expected_version, events, state=state, deleted=deleted
            )

    async def append_in(
        self,
        conn: AsyncConnection,
        aggregate_type: str,
        aggregate_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        *,
        state: dict[str, Any] | None = None,
        deleted: bool = False,
    ) -> int:
        """Append events inside the caller's transaction (to commit other writes with them).

        Takes the append lock first, so the version check below is exact; the
        UNIQUE(aggregate_type, aggregate_id, version) constraint stays as a backstop
        against writers that bypass this class.

        Args:
            conn: A connection in a transaction the caller commits or rolls back.
            aggregate_type: Stream kind.
            aggregate_id: Stream identifier.
            expected_version: Version the caller last saw; 0 for a new stream.
            events: Events to append, in order.
            state: The aggregate's state after the events for the state projection, or None.
            deleted: Remove the aggregate's state projection row.

        Returns:
            The stream's new version (int).

        Raises:
            ConcurrencyError: The stream is not at ``expected_version``; the
                caller's transaction must be rolled back.
            InvalidArgumentError: A payload or the state holds a string with
                U+0000, which PostgreSQL's jsonb cannot store (refused on every
                backend, so a service behaves the same on each).
            sqlalchemy.exc.IntegrityError: An event id is already stored.
        """
        if not events:
            return expected_version
        check_appendable(aggregate_type, events, state)
        await self._lock_for_append(conn)
        current = await conn.scalar(
            select(func.coalesce(func.max(events_table.c.version), 0)).where(
                events_table.c.aggregate_type == aggregate_type,
                events_table.c.aggregate_id == aggregate_id,
            )
        )
        if current != expected_version:
            raise ConcurrencyError(
                f"{aggregate_type} '{aggregate_id}' was modified concurrently: expected "
                f"version {expected_version}, found version {current}; reload and retry"
            )
        now = datetime.now(UTC)
        rows = [
            {
                "event_id": event.event_id,
                "aggregate_type": aggregate_type,
                "aggregate_id": aggregate_id,
                "version": expected_version + offset,
                "event_type": event.event_type,
                "event_version": event.event_version,
                "payload": event.payload,
                "metadata": event.metadata.to_json(),
                "recorded_at": now,
            }
            for offset, event in enumerate(events, start=1)
        ]
        await conn.execute(events_table.insert(), rows)
        new_version = expected_version + len(events)
        if deleted or state is not None:
            await write_state(conn, aggregate_type, aggregate_id, new_version, None if deleted else state)
        return new_version

    async def load(self, aggregate_type: str, aggregate_id: str, *, after_version: int = 0) -> list[StoredEvent]:
        """Return a stream's events after ``after_version``; see ``EventStore.load``."""
        query = (
            select(events_table)
            .where(
                events_table.c.aggregate_type == aggregate_type,
                events_table.c.aggregate_id == aggregate_id,
                events_table.c.version > after_version,
            )
            .order_by(events_table.c.version)
        )
        async with self.reads.connect() as conn:
            return [_stored_event(row) for row in await conn.execute(query)]

    async def aggregate_ids(self, aggregate_type: str) -> list[str]:
        """Return stream ids in first-append order; see ``EventStore.aggregate_ids``."""
        query = (
            select(events_table.c.aggregate_id)
            .where(
                events_table.c.aggregate_type == aggregate_type,
                events_table.c.version == 1,
            )
            .order_by(events_table.c.position)
        )
        async with self.reads.connect() as conn:
            return list((await conn.scalars(query)).all())

    async def read_all(self, *, after_position: int = 0, limit: int = 1000) -> list[StoredEvent]:
        """Return events after a checkpoint in position order; see ``EventStore.read_all``.

        Raises:
            ValueError: ``limit`` is not positive.
        """
        if limit <= 0:
            raise ValueError(f"limit must be positive, got {limit}")
        query = (
            select(events_table)
            .where(events_table.c.position > after_position)
            .order_by(events_table.c.position)
            .limit(limit)
        )
        async with self.reads.connect() as conn:
            return [_stored_event(row) for row in await conn.execute(query)]

    async def max_position(self) -> int:
        """Return the highest stored position, 0 when empty."""
        async with self.reads.connect() as conn:
            value = await conn.scalar(select(func.coalesce(func.max(events_table.c.position), 0)))
        return int(value or 0)

    async def save_snapshot(self, snapshot: Snapshot) -> None:
        """Store a snapshot, replacing the stream's previous one unless that one is newer."""
        row = {
            "aggregate_type": snapshot.aggregate_type,
            "aggregate_id": snapshot.aggregate_id,
            "version": snapshot.version,
            "state": snapshot.state,
            "schema_fingerprint": snapshot.schema_fingerprint,
            "recorded_at": datetime.now(UTC),
        }
        async with self.engine.begin() as conn:
            await conn.execute(self._upsert_snapshot(row))

    async def load_snapshot(self, aggregate_type: str, aggregate_id: str) -> Snapshot | None:
        """Return the stream's snapshot, or None."""
        query = select(snapshots_table).where(
            snapshots_table.c.aggregate_type == aggregate_type,
            snapshots_table.c.aggregate_id == aggregate_id,
        )
        async with self.reads.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        return Snapshot(
            aggregate_type=row.aggregate_type,
            aggregate_id=row.aggregate_id,
            version=row.version,
            state=row.state,
            schema_fingerprint=row.schema_fingerprint,
        )


async def write_state(
    conn: AsyncConnection,
    aggregate_type: str,
    aggregate_id: str,
    version: int,
    state: dict[str, Any] | None,
) -> None:
    """Upsert an aggregate's row, or delete it when ``state`` is None (aggregate deleted), keeping its kind's count.

    Must run in the transaction of the append that produced ``version``: the
    append lock held there makes this transaction the stream's only writer, so a
    plain UPDATE-then-INSERT cannot race (and needs no dialect-specific upsert).

    Args:
        conn: The append's connection, inside its transaction.
        aggregate_type: Aggregate kind.
        aggregate_id: Aggregate identifier.
        version: Stream version after the append (int).
        state: The state as a JSON object; None removes the row.
    """
    key = (
        aggregate_states_table.c.aggregate_type == aggregate_type,
        aggregate_states_table.c.aggregate_id == aggregate_id,
    )
    if state is None:
        removed = await conn.execute(delete(aggregate_states_table).where(*key))
        if removed.rowcount == 1:
            await _count(conn, aggregate_type, -1)
        return
    values = {"version": version, "state": state, "updated_at": datetime.now(UTC)}
    updated = await conn.execute(update(aggregate_states_table).where(*key).values(values))
    if updated.rowcount == 0:
        await conn.execute(
            aggregate_states_table.insert().values(aggregate_type=aggregate_type, aggregate_id=aggregate_id, **values)
        )
        await _count(conn, aggregate_type, 1)


def autocommit(engine: AsyncEngine) -> AsyncEngine:
    """Return ``engine`` (same pool) in autocommit mode, for reads made of one statement each.

    With asyncpg the isolation level is a client-side flag, so a checkout costs
    no round trip, and a SELECT runs without BEGIN and ROLLBACK around it.
    """
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def check_appendable(aggregate_type: str, events: Sequence[NewEvent], state: dict[str, Any] | None) -> None:
    """Refuse an append whose payloads or state hold U+0000 (jsonb cannot store it; refused on every backend).

    Raises:
        InvalidArgumentError: A payload or the state holds a string with U+0000.
    """
    for event in events:
        _check_storable(event.payload, f"event {event.event_type}")
    if state is not None:
        _check_storable(state, f"{aggregate_type} state")


def _check_storable(value: Any, where: str) -> None:
    """Raise InvalidArgumentError when a JSON value holds U+0000 in a string or key (jsonb rejects it)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidArgumentError(
                f"{where}: a string holds the NUL character (U+0000), which cannot be stored; remove it"
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_storable(key, where)
            _check_storable(item, where)
    elif isinstance(value, list):
        for item in value:
            _check_storable(item, where)


async def _count(conn: AsyncConnection, aggregate_type: str, change: int) -> None:
    """Add ``change`` to the kind's live count (``aggregate_counts``), creating its row at the first aggregate."""
    counts = aggregate_counts_table
    changed = await conn.execute(
        update(counts).where(counts.c.aggregate_type == aggregate_type).values(live=counts.c.live + change)
    )
    if changed.rowcount == 0:
        await conn.execute(counts.insert().values(aggregate_type=aggregate_type, live=max(change, 0)))


def _stored_event(row: Row[Any]) -> StoredEvent:
    return StoredEvent(
        position=row.position,
        event_id=row.event_id,
        aggregate_type=row.aggregate_type,
        aggregate_id=row.aggregate_id,
        version=row.version,
        event_type=row.event_type,
        event_version=row.event_version,
        payload=row.payload,
        metadata=EventMetadata.from_json(row._mapping["metadata"]),
        recorded_at=_as_utc(row.recorded_at),
    )


def _as_utc(value: datetime) -> datetime:
    # SQLite drops the offset on DateTime(timezone=True); values were written in UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
