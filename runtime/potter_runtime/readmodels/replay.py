"""Rebuild read models from the events: ``python -m <package> replay``.

Each read model is a projection fed by a ``ProjectionRunner``; a rebuild
clears the read model and its checkpoint in one transaction, then runs the
batches up to the last event. It is resumable: an interrupted rebuild keeps its
committed batches and checkpoint, and ``resume=True`` continues from there.
The state projection is rebuilt the same way by ``StateProjection``, which
applies each event to the aggregate's stored row. This module must not know
about transports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection
from tqdm import tqdm

from potter_runtime.aggregate import AggregateRoot
from potter_runtime.messages import IGNORE_UNKNOWN_FIELDS
from potter_runtime.readmodels.projections import Projection, ProjectionRunner
from potter_runtime.store.port import StoredEvent
from potter_runtime.store.schema import aggregate_counts_table as counts
from potter_runtime.store.schema import aggregate_states_table as states
from potter_runtime.store.schema import projection_checkpoints_table as checkpoints
from potter_runtime.store.sql import SqlAlchemyEventStore, write_state


class RebuildableProjection(Projection, Protocol):
    """A projection that can be cleared before a rebuild."""

    async def reset(self, conn: AsyncConnection) -> None:
        """Remove everything the projection wrote, through ``conn`` (the reset's transaction)."""
        ...


class StateProjection:
    """The state projection as a checkpointed projection, for rebuilding it from the events.

    Live appends keep writing rows while it runs; a row already at or past an
    event's version is left alone, and each batch holds off appends (the store's
    append lock), so the two never overwrite each other.

    Args:
        store: The event store (its engine holds ``aggregate_states``).
        aggregate_classes: The aggregates whose rows to rebuild, by ``aggregate_type``.
    """

    name = "state"

    def __init__(self, store: SqlAlchemyEventStore, aggregate_classes: Mapping[str, type[AggregateRoot[Any]]]) -> None:
        self.store = store
        self.aggregate_classes = dict(aggregate_classes)
        self._locked: set[int] = set()

    async def handle(self, conn: AsyncConnection, event: StoredEvent) -> None:
        """Apply ``event`` to its aggregate's row; events of other kinds are skipped.

        Raises:
            KeyError: The aggregate class has no event class for ``event.event_type``.
        """
        aggregate_class = self.aggregate_classes.get(event.aggregate_type)
        if aggregate_class is None:
            return
        if id(conn) not in self._locked:  # once per batch transaction
            await self.store.lock_appends(conn)
            self._locked = {id(conn)}
        key = (states.c.aggregate_type == event.aggregate_type, states.c.aggregate_id == event.aggregate_id)
        row = (await conn.execute(select(states.c.version, states.c.state).where(*key))).first()
        aggregate = aggregate_class(event.aggregate_id)
        if row is not None:
            if row.version >= event.version:
                return  # a live append (or an earlier batch) already wrote this or a later state
            aggregate.state = type(aggregate.state).model_validate(row.state, context=IGNORE_UNKNOWN_FIELDS)
        decoded = aggregate_class.event_types[event.event_type].model_validate(event.payload, context=IGNORE_UNKNOWN_FIELDS)
        aggregate.replay([decoded], event.version)
        state = None if aggregate.deleted else aggregate.state.model_dump(mode="json")
        await write_state(conn, event.aggregate_type, event.aggregate_id, event.version, state)

    async def reset(self, conn: AsyncConnection) -> None:
        """Remove the rows of this projection's aggregate kinds, and their counts."""
        kinds = sorted(self.aggregate_classes)
        await conn.execute(delete(states).where(states.c.aggregate_type.in_(kinds)))
        await conn.execute(delete(counts).where(counts.c.aggregate_type.in_(kinds)))


async def replay(
    store: SqlAlchemyEventStore,
    projections: Sequence[RebuildableProjection],
    *,
    resume: bool = False,
    batch_size: int = 500,
    progress: bool = True,
) -> dict[str, int]:
    """Rebuild read models from the events, one projection after the other.

    Args:
        store: The event store; its engine also holds the read models and checkpoints.
        projections: The read models to rebuild.
        resume: Continue each projection from its checkpoint instead of clearing it first.
        batch_size: Events per transaction (int, > 0).
        progress: Show a progress bar per projection on standard error.

    Returns:
        Events applied per projection name.

    Raises:
        Exception: Whatever a projection raised; committed batches and their
            checkpoint stay, so ``resume=True`` continues after the last one.
    """
    applied: dict[str, int] = {}
    for projection in projections:
        if not resume:
            async with store.engine.begin() as conn:
                await projection.reset(conn)
                await conn.execute(delete(checkpoints).where(checkpoints.c.name == projection.name))
        runner = ProjectionRunner(store, store.engine, projection, batch_size=batch_size)
        total = await store.max_position()
        start = await runner.checkpoint()
        with tqdm(total=total, initial=start, desc=projection.name, unit="event", disable=not progress) as bar:
            count = 0
            while True:
                done = await runner.run_once()
                count += done
                position = await runner.checkpoint()
                bar.update(position - bar.n)
                if done == 0 and position >= await store.max_position():
                    break
        applied[projection.name] = count
    return applied
