"""Named projections fed from the events' global ``position``, with a stored checkpoint.

A ``ProjectionRunner`` reads events after the projection's checkpoint, lets the
projection write its own tables and moves the checkpoint, all in ONE transaction
per batch: a crash leaves both unchanged, so every event takes effect exactly
once and a restarted runner resumes where the last commit left off.
This module must not know about aggregates or transports.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from potter_runtime.store.port import EventStore, StoredEvent
from potter_runtime.store.schema import projection_checkpoints_table as checkpoints
from potter_runtime.store.sql import autocommit

logger = logging.getLogger(__name__)


class Projection(Protocol):
    """A read model built from events, written in the runner's transaction.

    Attributes:
        name: Unique name of the projection; keys its checkpoint (str, ≤ 200 characters).
    """

    @property
    def name(self) -> str:
        """Unique name of the projection; keys its checkpoint (≤ 200 characters)."""
        ...

    async def handle(self, conn: AsyncConnection, event: StoredEvent) -> None:
        """Apply one event to the projection's tables through ``conn``.

        Must write only through ``conn`` (the batch's transaction) and raise to
        abort the batch; events the projection does not use are ignored.

        Args:
            conn: Connection inside the batch's transaction.
            event: The next event in position order.
        """
        ...


# A projection may also have ``batch(conn, events)``, an async context manager the
# runner enters around a batch's ``handle`` calls (``DocumentProjection.batch``
# groups the documents' reads and writes into a few statements).


class ProjectionRunner:
    """Feeds one projection from the event store, a batch per transaction.

    Several runners of one projection (e.g. one per replica) may run at once:
    the checkpoint moves by compare-and-set, so only one of them commits each batch.

    Args:
        store: Where events are read, by position.
        engine: Engine of the database holding the projection's tables and checkpoint.
        projection: The projection to feed.
        batch_size: Most events per transaction (int, > 0).

    Raises:
        ValueError: ``batch_size`` is not positive.
    """

    def __init__(
        self, store: EventStore, engine: AsyncEngine, projection: Projection, *, batch_size: int = 100
    ) -> None:
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.store = store
        self.engine = engine
        self._reads = autocommit(engine)  # the checkpoint read is one SELECT
        self.projection = projection
        self.batch_size = batch_size

    async def checkpoint(self) -> int:
        """Return the position of the last event the projection committed (0 before any)."""
        query = select(checkpoints.c.position).where(checkpoints.c.name == self.projection.name)
        async with self._reads.connect() as conn:
            return int(await conn.scalar(query) or 0)

    async def run_once(self) -> int:
        """Apply the next batch of events after the checkpoint, in one transaction.

        Returns:
            How many events this call applied: 0 when caught up, or when
            another runner committed this batch first.

        Raises:
            Exception: Whatever the projection raised; the batch is rolled back
                and the checkpoint stays where it was.
        """
        start = await self._ensure_checkpoint()
        events = await self.store.read_all(after_position=start, limit=self.batch_size)
        if not events:
            return 0
        async with self.engine.begin() as conn:
            # Compare-and-set first: it locks the checkpoint row, so a competing
            # runner waits here and then finds the checkpoint moved.
            moved = await conn.execute(
                update(checkpoints)
                .where(checkpoints.c.name == self.projection.name, checkpoints.c.position == start)
                .values(position=events[-1].position, updated_at=datetime.now(UTC))
            )
            if moved.rowcount != 1:
                return 0
            batch = getattr(self.projection, "batch", None)  # optional: see Projection
            async with batch(conn, events) if batch is not None else nullcontext():
                for event in events:
                    await self.projection.handle(conn, event)
        return len(events)

    async def run_until_caught_up(self) -> int:
        """Apply batches until no event is left after the checkpoint.

        Returns:
            How many events this runner applied (int).

        Raises:
            Exception: Whatever the projection raised; earlier batches stay committed.
        """
        applied = 0
        while True:
            count = await self.run_once()
            applied += count
            if count == 0 and await self.checkpoint() >= await self.store.max_position():
                return applied

    async def _ensure_checkpoint(self) -> int:
        """Return the checkpoint, creating it at 0 for a projection that never ran."""
        position = await self.checkpoint()
        if position == 0:
            try:
                async with self.engine.begin() as conn:
                    await conn.execute(
                        checkpoints.insert().values(name=self.projection.name, position=0, updated_at=datetime.now(UTC))
                    )
            except IntegrityError:
                pass  # it exists already (at 0, or created by a competing runner)
            position = await self.checkpoint()
        return position


class ProjectionWorker:
    """Keeps named projections up to date in the background of a running service.

    One asyncio task per projection reads new events as they commit; when
    caught up it waits ``poll_seconds``. A failing batch is logged and retried
    after a growing pause (at most 30 s): the checkpoint does not move past
    an event the projection could not apply. Several replicas may each run a
    worker: ``ProjectionRunner`` commits each batch once.

    Args:
        runners: One runner per projection.
        poll_seconds: Pause of a caught-up projection, in seconds (> 0).
    """

    def __init__(self, runners: list[ProjectionRunner], *, poll_seconds: float = 0.2) -> None:
        self.runners = runners
        self.poll_seconds = poll_seconds
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Start one task per projection (call from a running event loop)."""
        self._tasks = [asyncio.create_task(self._run(runner)) for runner in self.runners]

    async def stop(self) -> None:
        """Cancel the tasks and wait for them; a batch in flight is rolled back."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def _run(self, runner: ProjectionRunner) -> None:
        failures = 0
        while True:
            try:
                applied = await runner.run_once()
                failures = 0
            except Exception:
                failures += 1
                logger.exception("projection %s failed; retrying", runner.projection.name)
                await asyncio.sleep(min(30.0, self.poll_seconds * 2**failures))
                continue
            if applied == 0:
                await asyncio.sleep(self.poll_seconds)
