"""Named read models (``query.read_model``): a table of documents per read model, fed by a projection.

A document is one pydantic model per key (usually an aggregate id), stored as
a JSON object. The projection writes documents through the connection of the
``ProjectionRunner``'s batch transaction, so a document and the checkpoint move
together; query handlers read them through ``DocumentReadModel``. This module
must not know about commands or transports.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import BigInteger, Column, DateTime, MetaData, String, Table, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from potter_runtime.errors import NotFoundError
from potter_runtime.messages import STORED_JSON, DomainEvent
from potter_runtime.readmodels.paging import Page, PageTokens, page_size_of
from potter_runtime.store.port import StoredEvent
from potter_runtime.store.schema import JsonObject
from potter_runtime.store.sql import autocommit

DocT = TypeVar("DocT", bound=BaseModel)

_DOCUMENT_COLUMNS = ("id", "document", "position", "updated_at")


def _upsert(dialect: str, table: Table) -> Any:
    """Return ``INSERT … ON CONFLICT (id) DO UPDATE`` of a document with ``new_<column>`` parameters, or None.

    PostgreSQL and SQLite (3.24+) have it; another dialect gets None (UPDATE, then INSERT when no row changed).
    """
    values = {name: bindparam(f"new_{name}", type_=table.c[name].type) for name in _DOCUMENT_COLUMNS}
    if dialect == "postgresql":
        on_postgres = postgresql.insert(table).values(values)
        replace = {name: on_postgres.excluded[name] for name in _DOCUMENT_COLUMNS[1:]}
        return on_postgres.on_conflict_do_update(index_elements=[table.c.id], set_=replace)
    if dialect == "sqlite":
        on_sqlite = sqlite.insert(table).values(values)
        replace = {name: on_sqlite.excluded[name] for name in _DOCUMENT_COLUMNS[1:]}
        return on_sqlite.on_conflict_do_update(index_elements=[table.c.id], set_=replace)
    return None


def document_table(name: str, metadata: MetaData) -> Table:
    """Define the table of a named read model in ``metadata``.

    Columns: ``id`` (String(200), primary key), ``document`` (JSON object:
    JSONB on PostgreSQL), ``position`` (BigInteger: the last event applied to
    the row) and ``updated_at`` (timezone-aware). The project's migrations
    create it with the same columns.

    Args:
        name: The read model's name (an identifier, from ``query.read_model``).
        metadata: Where the table is defined (a project's read-model MetaData).

    Returns:
        The table ``read_model_<name>``.

    Raises:
        ValueError: ``name`` is not an identifier.
    """
    if not name.isidentifier():
        raise ValueError(f"read model name {name!r} is not an identifier")
    return Table(
        f"read_model_{name}",
        metadata,
        Column("id", String(200), primary_key=True),
        Column("document", JsonObject, nullable=False),
        Column("position", BigInteger, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )


@dataclass
class _Pending(Generic[DocT]):
    """One batch's documents (``DocumentReadModel.batch``).

    Attributes:
        current: Key → the document as the batch sees it (None: there is none).
        writes: Key → (document, position of its last event) to store, or None to remove.
    """

    current: dict[str, DocT | None] = field(default_factory=dict)
    writes: dict[str, tuple[DocT, int] | None] = field(default_factory=dict)


class DocumentReadModel(Generic[DocT]):
    """Reads and writes the documents of one named read model.

    Writes (``get_in``, ``put``, ``delete``, ``clear``) take the projection's
    connection; reads for queries (``find``, ``get``, ``page``) use ``engine``.

    Args:
        engine: Engine of the database holding ``table``.
        table: The read model's table (``document_table``).
        document_model: The documents' pydantic model.
    """

    def __init__(self, engine: AsyncEngine, table: Table, document_model: type[DocT]) -> None:
        self.engine = engine
        self._reads = autocommit(engine)  # each read is one SELECT
        self.table = table
        self.document_model = document_model
        self._tokens = PageTokens(table.name)
        self._upsert = _upsert(engine.dialect.name, table)
        self._batches: dict[int, _Pending[DocT]] = {}  # by id() of the batch's connection

    async def find(self, key: str) -> DocT | None:
        """Return the document stored under ``key``, or None."""
        async with self._reads.connect() as conn:
            return await self.get_in(conn, key)

    async def get(self, key: str) -> DocT:
        """Return the document stored under ``key``.

        Raises:
            NotFoundError: No document is stored under ``key`` (yet: the
                projection may not have reached the event that writes it).
        """
        document = await self.find(key)
        if document is None:
            raise NotFoundError(f"{self.table.name.removeprefix('read_model_')} '{key}' not found")
        return document

    async def page(self, *, page_size: int = 0, page_token: str = "") -> Page[DocT]:
        """Return documents in key order, a page at a time (AIP-158 keyset pagination).

        Raises:
            InvalidArgumentError: ``page_size`` is negative or ``page_token`` is not this read model's.
        """
        size = page_size_of(page_size)
        after = self._tokens.decode(page_token, {})
        query = select(self.table.c.id, self.table.c.document).order_by(self.table.c.id).limit(size + 1)
        if after is not None:
            query = query.where(self.table.c.id > after)
        async with self._reads.connect() as conn:
            rows = (await conn.execute(query)).all()
        token = self._tokens.encode(rows[size - 1].id, {}) if len(rows) > size else ""
        return Page([self._decode(row.document) for row in rows[:size]], token)

    @asynccontextmanager
    async def batch(self, conn: AsyncConnection, keys: Collection[str]) -> AsyncIterator[None]:
        """Group the reads and writes made through ``conn`` until the block ends.

        The documents under ``keys`` are read with one SELECT on entry;
        ``get_in`` answers from them (and what ``put`` and ``delete`` did
        since), and the writes reach the table on exit, one statement for the
        stored documents and one for the removed ones. A projection applying a
        batch of events then costs a few round trips instead of two per event.
        The block runs inside ``conn``'s transaction; if it raises, nothing is
        written (the transaction is rolled back anyway).

        Args:
            conn: The projection's batch transaction.
            keys: Keys the batch will likely read (others are read when asked for).
        """
        pending: _Pending[DocT] = _Pending()
        if keys:
            query = select(self.table.c.id, self.table.c.document).where(self.table.c.id.in_(sorted(keys)))
            found = {row.id: self._decode(row.document) for row in await conn.execute(query)}
            pending.current = {key: found.get(key) for key in keys}
        self._batches[id(conn)] = pending
        try:
            yield
            await self._flush(conn, pending)
        finally:
            del self._batches[id(conn)]

    async def _flush(self, conn: AsyncConnection, pending: _Pending[DocT]) -> None:
        removed = [key for key, write in pending.writes.items() if write is None]
        if removed:
            await conn.execute(delete(self.table).where(self.table.c.id.in_(removed)))
        stored = [(key, *write) for key, write in pending.writes.items() if write is not None]
        await self._store(conn, stored)

    async def _store(self, conn: AsyncConnection, documents: Sequence[tuple[str, DocT, int]]) -> None:
        """Insert or replace (key, document, position of its last event) rows: one upsert where the dialect has it."""
        if not documents:
            return
        now = datetime.now(UTC)
        rows = [
            {"new_id": key, "new_document": document.model_dump(mode="json"), "new_position": position,
             "new_updated_at": now}
            for key, document, position in documents
        ]  # fmt: skip
        if self._upsert is not None:
            await conn.execute(self._upsert, rows)
            return
        for row in rows:  # UPDATE, then INSERT when no row changed
            columns = {name: row[f"new_{name}"] for name in _DOCUMENT_COLUMNS[1:]}
            changed = await conn.execute(update(self.table).where(self.table.c.id == row["new_id"]).values(columns))
            if changed.rowcount == 0:
                await conn.execute(self.table.insert().values(id=row["new_id"], **columns))

    async def get_in(self, conn: AsyncConnection, key: str) -> DocT | None:
        """Return the document under ``key`` as ``conn`` sees it (inside the projection's batch)."""
        pending = self._batches.get(id(conn))
        if pending is not None and key in pending.current:
            return pending.current[key]
        row = (await conn.execute(select(self.table.c.document).where(self.table.c.id == key))).first()
        document = None if row is None else self._decode(row.document)
        if pending is not None:
            pending.current[key] = document
        return document

    async def put(self, conn: AsyncConnection, key: str, document: DocT, event: StoredEvent) -> None:
        """Store ``document`` under ``key`` (insert or replace), recording ``event`` as its last change."""
        pending = self._batches.get(id(conn))
        if pending is not None:
            pending.current[key] = document
            pending.writes[key] = (document, event.position)
            return
        await self._store(conn, [(key, document, event.position)])

    async def delete(self, conn: AsyncConnection, key: str) -> None:
        """Remove the document under ``key``, if any."""
        pending = self._batches.get(id(conn))
        if pending is not None:
            pending.current[key] = None
            pending.writes[key] = None
            return
        await conn.execute(delete(self.table).where(self.table.c.id == key))

    async def clear(self, conn: AsyncConnection) -> None:
        """Remove every document (before a rebuild from the first event)."""
        pending = self._batches.get(id(conn))
        if pending is not None:
            pending.current = {}
            pending.writes = {}
        await conn.execute(delete(self.table))

    async def rows(self) -> dict[str, dict[str, Any]]:
        """Return every document as JSON, by key (for checks and tests; reads the whole table)."""
        async with self._reads.connect() as conn:
            rows = (await conn.execute(select(self.table.c.id, self.table.c.document))).all()
        return {row.id: dict(row.document) for row in rows}

    def _decode(self, data: Mapping[str, Any]) -> DocT:
        # A document written before a field was removed from the proto must still load.
        return self.document_model.model_validate(data, context=STORED_JSON)


class DocumentProjection(Generic[DocT]):
    """Base of a generated named projection: decodes each event and calls its typed ``on_<event>`` method.

    Generated subclasses set ``name`` and ``event_handlers`` and define one
    ``async def on_<event>(self, conn, event, stored)`` per event (no-ops); the
    user's scaffold overrides the ones the read model needs. Read and write
    documents through ``read_model`` (``get_in``, ``put``, ``delete``): in a
    runner's batch they are written when the batch ends (``batch``), so a
    statement of your own on the read model's table does not see them yet.

    Attributes:
        name: The read model's name; keys its checkpoint.
        event_handlers: Event type → (event class, method name).

    Args:
        read_model: The documents the projection writes.
    """

    name: ClassVar[str] = ""
    event_handlers: ClassVar[dict[str, tuple[type[DomainEvent], str]]] = {}

    def __init__(self, read_model: DocumentReadModel[DocT]) -> None:
        self.read_model = read_model

    async def handle(self, conn: AsyncConnection, event: StoredEvent) -> None:
        """Apply one stored event (``Projection`` protocol); events without a handler are skipped.

        Raises:
            pydantic.ValidationError: The payload does not fit the event class.
        """
        entry = self.event_handlers.get(event.event_type)
        if entry is None:
            return
        event_class, method = entry
        decoded = event_class.model_validate(event.payload, context=STORED_JSON)
        await getattr(self, method)(conn, decoded, event)

    def batch(self, conn: AsyncConnection, events: Sequence[StoredEvent]) -> AbstractAsyncContextManager[None]:
        """Group the document reads and writes of ``events`` (``DocumentReadModel.batch``); the runner's hook.

        The documents under the aggregate ids of the events this projection
        handles are read up front; a handler reading another key reads it then.
        """
        keys = {event.aggregate_id for event in events if event.event_type in self.event_handlers}
        return self.read_model.batch(conn, keys)

    async def reset(self, conn: AsyncConnection) -> None:
        """Clear the read model before a rebuild from the first event (``replay``)."""
        await self.read_model.clear(conn)
