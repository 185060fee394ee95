"""The state projection: each live aggregate's latest state, one row each, for queries.

The event store writes a row in the same transaction as the append
(``EventStore.append(..., state=...)``), so a query right after a command sees
it; query handlers read rows through ``StateReadModel`` and never replay events.
This module must not know about commands or transports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel
from sqlalchemy import Row, String, Text, bindparam, cast, func, literal, literal_column, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from potter_runtime.errors import NotFoundError
from potter_runtime.messages import STORED_JSON
from potter_runtime.readmodels.paging import CountedPage, Page, PageTokens, filter_json, page_size_of
from potter_runtime.store.schema import aggregate_counts_table as counts
from potter_runtime.store.schema import aggregate_states_table as states
from potter_runtime.store.sql import autocommit

# The state as its JSON text: pydantic parses it faster than the driver's json.loads then validation.
_VIEW_COLUMNS = (states.c.aggregate_id, states.c.version, cast(states.c.state, Text).label("state"))

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

    @property
    def id(self) -> str:
        """The aggregate identifier (as ``AggregateRoot.id``, so handlers read a view like an aggregate)."""
        return self.aggregate_id


class StateReader(Protocol[StateT]):
    """Port through which query handlers read one aggregate kind's state projection."""

    async def find(self, aggregate_id: str) -> StateView[StateT] | None:
        """Return the aggregate's row, or None when it does not exist or was deleted."""
        ...

    async def get(self, aggregate_id: str) -> StateView[StateT]:
        """Return the aggregate's row; raise ``NotFoundError`` when it does not exist or was deleted."""
        ...

    async def page(
        self,
        *,
        page_size: int = 0,
        page_token: str = "",
        page_number: int = 0,
        filters: Mapping[str, object] | None = None,
    ) -> Page[StateT]:
        """Return one page in id order and the token of the next (AIP-158)."""
        ...

    async def page_with_total(
        self,
        *,
        page_size: int = 0,
        page_token: str = "",
        page_number: int = 0,
        filters: Mapping[str, object] | None = None,
    ) -> CountedPage[StateT]:
        """Return ``page``'s page plus the number of live aggregates matching ``filters``, in one read."""
        ...

    async def count(self, *, filters: Mapping[str, object] | None = None) -> int:
        """Return the number of live aggregates matching ``filters``."""
        ...


class StateReadModel(Generic[StateT]):
    """Reads one aggregate kind's rows of the state projection.

    Filters compare top-level state fields for equality, by their Python names
    (``{"author": "Le Guin"}``); a value at its proto3 default (``""``, 0,
    False, None) is not set and filters nothing. Each filtered field is served
    by a partial expression index the project's migrations create, on
    (field, aggregate_id) WHERE aggregate_type = '<kind>'; queries spell the
    kind as a literal, so the planner can match that predicate also in a
    prepared statement's generic plan.

    Args:
        engine: Engine of the event store's database.
        aggregate_type: Aggregate kind, as the event store names its streams.
        state_model: The state's pydantic model; rows are validated into it.
    """

    def __init__(self, engine: AsyncEngine, aggregate_type: str, state_model: type[StateT]) -> None:
        self.engine = engine
        self._reads = autocommit(engine)  # each read is one SELECT
        self.aggregate_type = aggregate_type
        self.state_model = state_model
        self._kind = states.c.aggregate_type == literal(aggregate_type, String, literal_execute=True)
        self._tokens = PageTokens(f"state:{aggregate_type}")
        # Statements without a filter, built once (building and cache-keying one
        # per request showed in List's profile): the live count, and per page size
        # the first page and the page after a bound ``after`` id, without and with the total.
        self._count_all = select(counts.c.live).where(counts.c.aggregate_type == aggregate_type)
        self._unfiltered_pages: dict[tuple[int, bool], tuple[Any, Any]] = {}

    async def find(self, aggregate_id: str) -> StateView[StateT] | None:
        """Return the aggregate's row, or None when it does not exist or was deleted."""
        query = select(*_VIEW_COLUMNS).where(
            states.c.aggregate_type == self.aggregate_type, states.c.aggregate_id == aggregate_id
        )
        async with self._reads.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else self._view(row)

    async def get(self, aggregate_id: str) -> StateView[StateT]:
        """Return the aggregate's row.

        Raises:
            NotFoundError: The aggregate does not exist or was deleted.
        """
        view = await self.find(aggregate_id)
        if view is None:
            raise NotFoundError(f"{self.aggregate_type} '{aggregate_id}' not found")
        return view

    async def page(
        self,
        *,
        page_size: int = 0,
        page_token: str = "",
        page_number: int = 0,
        filters: Mapping[str, object] | None = None,
    ) -> Page[StateT]:
        """Return one page of states in id order and the token of the next (AIP-158 pagination).

        Keyset pagination: every page reached by tokens costs the same however
        deep it is. ``page_number`` serves requests that number their pages
        instead (LIMIT/OFFSET: cost grows with the number).

        Args:
            page_size: Most states to return; 0 takes the default (50), more
                than 1000 is lowered to 1000 (AIP-158).
            page_token: ``next_page_token`` of the previous page; "" for the first.
            page_number: 1-based page to start at when ``page_token`` is "";
                values <= 1 mean the first page.
            filters: Equality filters on state fields (see the class docstring).

        Returns:
            The states and ``next_page_token`` ("" on the last page).

        Raises:
            InvalidArgumentError: ``page_size`` is negative, or ``page_token``
                was not issued by this read model for the same filters.
        """
        page, _ = await self._page(page_size, page_token, page_number, filters, with_total=False)
        return page

    async def page_with_total(
        self,
        *,
        page_size: int = 0,
        page_token: str = "",
        page_number: int = 0,
        filters: Mapping[str, object] | None = None,
    ) -> CountedPage[StateT]:
        """Return what ``page`` returns plus ``total``, what ``count(filters=filters)`` returns.

        The total rides on the page's SELECT as a scalar subquery (one round
        trip for a List that reports its total size); only a page with no rows
        (an empty list, or a token past the end) reads it separately.

        Raises:
            InvalidArgumentError: As ``page``.
        """
        page, total = await self._page(page_size, page_token, page_number, filters, with_total=True)
        if total is None:
            total = await self.count(filters=filters)
        return CountedPage(page.items, page.next_page_token, total)

    async def _page(
        self,
        page_size: int,
        page_token: str,
        page_number: int,
        filters: Mapping[str, object] | None,
        *,
        with_total: bool,
    ) -> tuple[Page[StateT], int | None]:
        size = page_size_of(page_size)
        wanted = filter_json(filters)
        after = self._tokens.decode(page_token, wanted)
        if not wanted and (after is not None or page_number <= 1):
            first, following = self._unfiltered_page(size, with_total)
            rows = await self._rows(first if after is None else following, {"after": after})
        else:
            query = self._ordered(wanted)
            if with_total:
                matching = select(func.count()).select_from(states).where(*self._where(wanted))
                query = query.add_columns(matching.scalar_subquery().label("total"))
            if after is not None:
                query = query.where(states.c.aggregate_id > after)
            elif page_number > 1:
                query = query.offset((page_number - 1) * size)
            rows = await self._rows(query.limit(size + 1))
        total = int(rows[0].total or 0) if with_total and rows else None
        views = [self._view(row) for row in rows[:size]]
        token = self._tokens.encode(views[-1].aggregate_id, wanted) if len(rows) > size else ""
        return Page([view.state for view in views], token), total

    async def list_page(self, *, offset: int = 0, limit: int = 50) -> list[StateView[StateT]]:
        """Return up to ``limit`` rows ordered by aggregate id, skipping ``offset`` (LIMIT/OFFSET).

        Raises:
            ValueError: ``offset`` is negative or ``limit`` is not positive.
        """
        _check_page(limit)
        if offset < 0:
            raise ValueError(f"offset must not be negative, got {offset}")
        return await self._select(self._ordered({}).offset(offset).limit(limit))

    async def list_after(self, after_id: str | None = None, *, limit: int = 50) -> list[StateView[StateT]]:
        """Return up to ``limit`` rows with an id above ``after_id``, ordered by id (keyset pagination).

        Raises:
            ValueError: ``limit`` is not positive.
        """
        _check_page(limit)
        query = self._ordered({})
        if after_id is not None:
            query = query.where(states.c.aggregate_id > after_id)
        return await self._select(query.limit(limit))

    async def count(self, *, filters: Mapping[str, object] | None = None) -> int:
        """Return the number of live aggregates of this kind matching ``filters``.

        Without a filter that is set, one row of ``aggregate_counts`` (kept with
        each append); with one, a count over the filter's index.
        """
        wanted = filter_json(filters)
        if not wanted:
            async with self._reads.connect() as conn:
                return int(await conn.scalar(self._count_all) or 0)
        query = select(func.count()).select_from(states).where(*self._where(wanted))
        async with self._reads.connect() as conn:
            return int(await conn.scalar(query) or 0)

    def _where(self, filters: Mapping[str, Any]) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = [self._kind]
        for name, value in filters.items():
            clauses.append(
                field_expression(self.engine.dialect.name, name) == _comparable(self.engine.dialect.name, value)
            )
        return clauses

    def _ordered(self, filters: Mapping[str, Any]) -> Any:
        return select(*_VIEW_COLUMNS).where(*self._where(filters)).order_by(states.c.aggregate_id)

    def _unfiltered_page(self, size: int, with_total: bool) -> tuple[Any, Any]:
        """Return the (first page, page after ``:after``) statements of ``size`` + 1 rows without a filter."""
        statements = self._unfiltered_pages.get((size, with_total))
        if statements is None:
            query = self._ordered({})
            if with_total:
                query = query.add_columns(self._count_all.scalar_subquery().label("total"))
            query = query.limit(size + 1)
            statements = (
                query,
                query.where(states.c.aggregate_id > bindparam("after", type_=states.c.aggregate_id.type)),
            )
            self._unfiltered_pages[(size, with_total)] = statements
        return statements

    async def _rows(self, query: Any, parameters: Mapping[str, Any] | None = None) -> Sequence[Row[Any]]:
        async with self._reads.connect() as conn:
            return (await conn.execute(query, dict(parameters or {}))).all()

    async def _select(self, query: Any, parameters: Mapping[str, Any] | None = None) -> list[StateView[StateT]]:
        return [self._view(row) for row in await self._rows(query, parameters)]

    def _view(self, row: Row[Any]) -> StateView[StateT]:
        # A state written before a field was removed from the proto must still load.
        state = self.state_model.model_validate_json(row.state, context=STORED_JSON)
        return StateView(row.aggregate_id, row.version, state)


def field_expression(dialect: str, name: str) -> ColumnElement[Any]:
    """Return the SQL expression of a top-level state field, as the migrations' indexes spell it.

    The key is a literal, not a bound parameter, so PostgreSQL can match the
    expression index ``(state ->> 'name')``; SQLite's is ``json_extract(state, '$.name')``.

    Args:
        dialect: SQLAlchemy dialect name (``"postgresql"`` or ``"sqlite"``).
        name: The field's Python name: an identifier (never user input).

    Raises:
        ValueError: ``name`` is not an identifier.
    """
    if not name.isidentifier():
        raise ValueError(f"state field name {name!r} is not an identifier")
    if dialect == "postgresql":
        return literal_column(f"(state ->> '{name}')")
    return literal_column(f"json_extract(state, '$.{name}')")


def _comparable(dialect: str, value: Any) -> Any:
    # PostgreSQL's ->> yields text: compare with the value's JSON spelling.
    if dialect == "postgresql" and not isinstance(value, str):
        return "true" if value is True else "false" if value is False else str(value)
    return value


def _check_page(limit: int) -> None:
    if limit <= 0:
        raise ValueError(f"limit must be positive, got {limit}")
