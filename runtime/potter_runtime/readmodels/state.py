"""The state projection: each live aggregate's latest state, one row each, for queries.

The event store writes a row in the same transaction as the append
(``EventStore.append(..., state=...)``), so a query right after a command sees
it; query handlers read rows through ``StateReadModel`` and never replay events.
This module must not know about commands or transports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from potter_runtime.messages import IGNORE_UNKNOWN_FIELDS
from potter_runtime.store.schema import aggregate_states_table as states

StateT = TypeVar("StateT", bound=BaseModel)


@dataclass(frozen=True)
class StateView(Generic[StateT]):
    """One aggregate's row of the state projection.

    Attributes:
        aggregate_id: Aggregate identifier.
        version: Stream version the state reflects (int).
        state: The decoded state model.
    """

    aggregate_id: str
    version: int
    state: StateT


class StateReadModel(Generic[StateT]):
    """Reads one aggregate kind's rows of the state projection.

    Args:
        engine: Engine of the event store's database.
        aggregate_type: Aggregate kind, as the event store names its streams.
        state_model: The state's pydantic model; rows are validated into it.
    """

    def __init__(self, engine: AsyncEngine, aggregate_type: str, state_model: type[StateT]) -> None:
        self.engine = engine
        self.aggregate_type = aggregate_type
        self.state_model = state_model

    async def get(self, aggregate_id: str) -> StateView[StateT] | None:
        """Return the aggregate's row, or None when it does not exist or was deleted."""
        query = select(states).where(
            states.c.aggregate_type == self.aggregate_type, states.c.aggregate_id == aggregate_id
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else self._view(row)

    async def list_page(self, *, offset: int = 0, limit: int = 50) -> list[StateView[StateT]]:
        """Return up to ``limit`` rows ordered by aggregate id, skipping ``offset`` (LIMIT/OFFSET).

        Cost grows with ``offset``; prefer ``list_after`` for deep pages.

        Raises:
            ValueError: ``offset`` is negative or ``limit`` is not positive.
        """
        _check_page(limit)
        if offset < 0:
            raise ValueError(f"offset must not be negative, got {offset}")
        return await self._select(self._ordered().offset(offset).limit(limit))

    async def list_after(self, after_id: str | None = None, *, limit: int = 50) -> list[StateView[StateT]]:
        """Return up to ``limit`` rows with an id above ``after_id``, ordered by id (keyset pagination).

        Each page costs the same however deep it is; pass the last id of a page
        to get the next one (encoded into an AIP-158 ``page_token`` by callers).

        Raises:
            ValueError: ``limit`` is not positive.
        """
        _check_page(limit)
        query = self._ordered()
        if after_id is not None:
            query = query.where(states.c.aggregate_id > after_id)
        return await self._select(query.limit(limit))

    async def count(self) -> int:
        """Return the number of live aggregates of this kind."""
        query = select(func.count()).select_from(states).where(states.c.aggregate_type == self.aggregate_type)
        async with self.engine.connect() as conn:
            return int(await conn.scalar(query) or 0)

    def _ordered(self) -> Any:
        return select(states).where(states.c.aggregate_type == self.aggregate_type).order_by(states.c.aggregate_id)

    async def _select(self, query: Any) -> list[StateView[StateT]]:
        async with self.engine.connect() as conn:
            rows: Sequence[Row[Any]] = (await conn.execute(query)).all()
        return [self._view(row) for row in rows]

    def _view(self, row: Row[Any]) -> StateView[StateT]:
        # A state written before a field was removed from the proto must still load.
        state = self.state_model.model_validate(row.state, context=IGNORE_UNKNOWN_FIELDS)
        return StateView(row.aggregate_id, row.version, state)


def _check_page(limit: int) -> None:
    if limit <= 0:
        raise ValueError(f"limit must be positive, got {limit}")
