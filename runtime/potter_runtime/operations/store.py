"""The operations of async commands in the ``operations`` table (SQLite or PostgreSQL).

Every state change is one conditional ``UPDATE`` on the service's database, so
any number of workers (replicas) can share the table: only one of them claims
an operation, and a worker that died loses its claim when ``locked_until``
passes. This module must not execute commands or talk to a broker.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from potter_runtime.operations.model import OperationRecord, OperationStatus
from potter_runtime.store.schema import events_table as events
from potter_runtime.store.schema import operations_table as operations

PENDING, RUNNING = OperationStatus.PENDING.value, OperationStatus.RUNNING.value


def operation_idempotency_key(operation_id: uuid.UUID) -> str:
    """Return the key an operation's execution stamps on its events (``metadata.idempotencyKey``).

    A worker that finds an operation ``running`` after its claim ran out looks
    for events carrying it: their commit proves the command took effect.
    """
    return f"operation:{operation_id}"


class SqlOperationStore:
    """Operations in the ``operations`` table of the service's database.

    Args:
        engine: The event store's async engine (``event_store.engine``),
            SQLite (aiosqlite) or PostgreSQL (asyncpg).

    Raises:
        ValueError: The engine is neither SQLite nor PostgreSQL.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        if engine.dialect.name not in ("sqlite", "postgresql"):
            raise ValueError(f"operations need SQLite or PostgreSQL, not {engine.dialect.name}")
        self.engine = engine

    async def create_schema(self) -> None:
        """Create the ``operations`` table if missing (migrations do this in production)."""
        async with self.engine.begin() as conn:
            await conn.run_sync(lambda sync: operations.create(sync, checkfirst=True))

    async def create(self, rpc: str, request: dict[str, Any], *, correlation_id: str = "") -> OperationRecord:
        """Record a new ``pending`` operation and commit it.

        Args:
            rpc: Proto RPC name of the command.
            request: The request message as JSON (by alias).
            correlation_id: The accepting request's correlation id.

        Returns:
            The new record, with a fresh UUID4 id.
        """
        now = datetime.now(UTC)
        record = OperationRecord(
            id=uuid.uuid4(),
            rpc=rpc,
            status=OperationStatus.PENDING,
            request=request,
            response=None,
            problem=None,
            correlation_id=correlation_id[:200],
            attempts=0,
            created_at=now,
            updated_at=now,
        )
        values = {name: getattr(record, name) for name in operations.c.keys()}
        values["status"] = record.status.value
        async with self.engine.begin() as conn:
            await conn.execute(operations.insert().values(values))
        return record

    async def get(self, operation_id: uuid.UUID) -> OperationRecord | None:
        """Return the operation, or None when there is none with that id."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(operations).where(operations.c.id == operation_id))).first()
        return None if row is None else _record(row)

    async def delete(self, operation_id: uuid.UUID) -> None:
        """Forget a pending operation (one that could not be queued, so was never answered 202)."""
        async with self.engine.begin() as conn:
            await conn.execute(
                operations.delete().where(operations.c.id == operation_id, operations.c.status == PENDING)
            )

    async def claim(self, operation_id: uuid.UUID, *, lease_seconds: float) -> OperationRecord | None:
        """Mark the operation ``running`` for this worker, if no one else holds it.

        Claimable: ``pending``, or ``running`` with ``locked_until`` past (its
        worker died). One ``UPDATE … WHERE`` decides, so of concurrent workers
        exactly one wins.

        Args:
            operation_id: The operation.
            lease_seconds: How long the claim holds (float, seconds); it must
                exceed the command's execution time.

        Returns:
            The claimed record (``attempts`` counted, ``locked_until`` set), or
            None when it does not exist, has ended or another worker holds it.
        """
        now = datetime.now(UTC)
        claimable = or_(
            operations.c.status == PENDING,
            (operations.c.status == RUNNING) & (operations.c.locked_until <= now),
        )
        statement = (
            update(operations)
            .where(operations.c.id == operation_id, claimable)
            .values(
                status=RUNNING,
                attempts=operations.c.attempts + 1,
                updated_at=now,
                locked_until=now + timedelta(seconds=lease_seconds),
            )
            .returning(*operations.c)
        )
        async with self.engine.begin() as conn:
            row = (await conn.execute(statement)).first()
        return None if row is None else _record(row)

    async def release(self, operation_id: uuid.UUID) -> None:
        """Put a running operation back to ``pending`` (its worker stops before executing it to the end)."""
        await self._end_running(operation_id, status=PENDING, locked_until=None)

    async def succeed(self, operation_id: uuid.UUID, response: dict[str, Any] | None) -> None:
        """Record that the command succeeded, with its response (JSON; None if it was lost)."""
        await self._end_running(operation_id, status=OperationStatus.SUCCEEDED.value, response=response)

    async def fail(self, operation_id: uuid.UUID, problem: dict[str, Any]) -> None:
        """Record that the command failed, with its RFC 9457 problem details (JSON object)."""
        await self._end_running(operation_id, status=OperationStatus.FAILED.value, problem=problem)

    async def _end_running(self, operation_id: uuid.UUID, **values: Any) -> None:
        values.setdefault("locked_until", None)
        statement = (
            update(operations)
            .where(operations.c.id == operation_id, operations.c.status == RUNNING)
            .values(updated_at=datetime.now(UTC), **values)
        )
        async with self.engine.begin() as conn:
            await conn.execute(statement)

    async def was_applied(self, operation_id: uuid.UUID) -> bool:
        """Return whether events stamped with the operation's key were committed.

        A scan of the events' metadata, as ``SqlIdempotencyStore`` does for a
        dead claim: only run for an operation whose worker died mid-way.
        """
        key = operation_idempotency_key(operation_id)
        statement = select(events.c.position).where(events.c.metadata["idempotencyKey"].as_string() == key).limit(1)
        async with self.engine.connect() as conn:
            return (await conn.execute(statement)).first() is not None

    async def unfinished(self, *, limit: int = 1000) -> Sequence[uuid.UUID]:
        """Return ids of operations a worker should look at: pending, or running with the claim run out.

        Oldest first, at most ``limit`` of them.
        """
        now = datetime.now(UTC)
        claimable = or_(
            operations.c.status == PENDING,
            (operations.c.status == RUNNING) & (operations.c.locked_until <= now),
        )
        statement = select(operations.c.id).where(claimable).order_by(operations.c.created_at).limit(limit)
        async with self.engine.connect() as conn:
            return [row.id for row in await conn.execute(statement)]


def _record(row: Row[Any]) -> OperationRecord:
    return OperationRecord(
        id=row.id,
        rpc=row.rpc,
        status=OperationStatus(row.status),
        request=row.request,
        response=row.response,
        problem=row.problem,
        correlation_id=row.correlation_id,
        attempts=row.attempts,
        created_at=_as_utc(row.created_at),
        updated_at=_as_utc(row.updated_at),
        locked_until=None if row.locked_until is None else _as_utc(row.locked_until),
    )


def _as_utc(value: datetime) -> datetime:
    # SQLite drops the offset on DateTime(timezone=True); values were written in UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
