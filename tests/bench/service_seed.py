"""Seed data for the service benchmark, fast: SQL for the baseline, the runtime's event store API for the generated service.

Seeding 100k books through HTTP would take longer than the benchmark. The
baseline gets `INSERT … SELECT generate_series`. The generated service gets
what its own create command writes: `capture_shapes` creates one book and
updates it over HTTP, reads back the stored events and the state projection
row, and `seed_generated` / `grow_stream` append copies of them (new ids and
titles) with `open_event_store(url).append(...)`.

`seed_generated` and `grow_stream` are the only runtime-specific code of the
benchmark: when the generated service's storage changes (another read model
table, indexed columns), adapt them so that a seeded book is exactly what a
created one would be.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from potter_runtime.store import NewEvent, StoredEvent, open_event_store
from potter_runtime.store.schema import aggregate_states_table

#: Books appended per transaction while seeding.
SEED_BATCH = 1000
#: Events per append when growing a long stream.
STREAM_BATCH = 100


async def seed_baseline(database_url: str, total: int) -> None:
    """Grow the baseline's `books` table to `total` rows (INSERT … SELECT generate_series), then ANALYZE."""
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            have = int(await conn.scalar(text("SELECT count(*) FROM books")) or 0)
            if total > have:
                await conn.execute(
                    text(
                        "INSERT INTO books (id, title, author, copies) "
                        "SELECT gen_random_uuid(), 'Seeded book ' || g, 'Bench Author', 3 "
                        "FROM generate_series(CAST(:start AS integer), CAST(:stop AS integer)) AS g"
                    ),
                    {"start": have + 1, "stop": total},
                )
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("ANALYZE books"))
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class Shapes:
    """What the generated service stored for one created, then once updated, book.

    Attributes:
        aggregate_id: the book's id (the value replaced in copies).
        aggregate_type: the stream kind ("Book").
        created: its first event (the create command's).
        updated: its second event (the update command's).
        state: its state projection row after the create, None when the service keeps none.
        updated_state: the row after the update, likewise.
    """

    aggregate_id: str
    aggregate_type: str
    created: StoredEvent
    updated: StoredEvent
    state: dict[str, Any] | None
    updated_state: dict[str, Any] | None


async def _state_row(engine: Any, aggregate_type: str, aggregate_id: str) -> dict[str, Any] | None:
    query = select(aggregate_states_table.c.state).where(
        aggregate_states_table.c.aggregate_type == aggregate_type,
        aggregate_states_table.c.aggregate_id == aggregate_id,
    )
    async with engine.connect() as conn:
        try:
            state = await conn.scalar(query)
        except Exception:  # no state projection table in this version of the service
            return None
    return dict(state) if state is not None else None


async def capture_shapes(base_url: str, database_url: str) -> Shapes:
    """Create a book and update it through the generated service's HTTP API; return what it stored.

    Raises:
        RuntimeError: the calls failed, or the store does not hold two events for the book.
    """
    store = open_event_store(database_url)
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=60.0) as client:
            book = {"title": "Shape", "author": "Bench Author", "copies": 3}
            created = await client.post("/api/v1/books", json=book)
            if created.status_code != 201:
                raise RuntimeError(f"create answered {created.status_code}: {created.text[:500]}")
            book_id = created.json()["bookId"]
            events = [e for e in await store.read_all(limit=1000) if e.aggregate_id == book_id]
            if not events:
                raise RuntimeError(f"the store holds no event of the created book {book_id}")
            kind = events[0].aggregate_type
            state = await _state_row(store.engine, kind, book_id)
            updated = await client.patch(f"/api/v1/books/{book_id}", json={**book, "title": "Shape updated"})
            if not updated.is_success:
                raise RuntimeError(f"update answered {updated.status_code}: {updated.text[:500]}")
        events = [e for e in await store.read_all(limit=1000) if e.aggregate_id == book_id]
        if len(events) != 2:
            raise RuntimeError(f"expected the create and update events of {book_id}, found {len(events)}")
        updated_state = await _state_row(store.engine, kind, book_id)
    finally:
        await store.close()
    return Shapes(book_id, kind, events[0], events[1], state, updated_state)


def _copy(value: Any, old_id: str, new_id: str, title: str) -> Any:
    """Return `value` (a JSON payload or state) with `old_id` replaced by `new_id` and every title set."""
    if isinstance(value, dict):
        return {k: (title if k == "title" else _copy(v, old_id, new_id, title)) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v, old_id, new_id, title) for v in value]
    return new_id if value == old_id else value


async def seed_generated(database_url: str, shapes: Shapes, count: int, start: int = 0) -> None:
    """Append `count` created books, as the service's create command would store them.

    Each book is one create event (a copy of `shapes.created`, new id, title
    "Seeded book N") and, when the service keeps one, its state projection row,
    appended with `append_in`, `SEED_BATCH` books per transaction (one
    transaction per book would take minutes for 100k). Book numbers run from `start` + 1.
    """
    store = open_event_store(database_url)
    try:
        for first in range(start + 1, start + count + 1, SEED_BATCH):
            async with store.engine.begin() as conn:
                for number in range(first, min(first + SEED_BATCH, start + count + 1)):
                    new_id = str(uuid.uuid4())
                    title = f"Seeded book {number}"
                    event = NewEvent(
                        shapes.created.event_type,
                        shapes.created.event_version,
                        _copy(shapes.created.payload, shapes.aggregate_id, new_id, title),
                    )
                    state = None if shapes.state is None else _copy(shapes.state, shapes.aggregate_id, new_id, title)
                    await store.append_in(conn, shapes.aggregate_type, new_id, 0, [event], state=state)
        await _analyze(store.engine)
    finally:
        await store.close()


async def grow_stream(database_url: str, shapes: Shapes, aggregate_id: str, version: int, target: int) -> int:
    """Append update events (copies of `shapes.updated`) to one book until its stream is at `target`.

    Batches of `STREAM_BATCH` events per append, each with the state row when
    the service keeps one. Snapshots are not written here: the caller's next
    update through HTTP makes the service take its own. Returns the new version.
    """
    store = open_event_store(database_url)
    try:
        while version < target:
            size = min(STREAM_BATCH, target - version)
            events = [
                NewEvent(
                    shapes.updated.event_type,
                    shapes.updated.event_version,
                    _copy(shapes.updated.payload, shapes.aggregate_id, aggregate_id, "Long stream"),
                )
                for _ in range(size)
            ]
            state = None
            if shapes.updated_state is not None:
                state = _copy(shapes.updated_state, shapes.aggregate_id, aggregate_id, "Long stream")
            version = await store.append(shapes.aggregate_type, aggregate_id, version, events, state=state)
        await _analyze(store.engine)
    finally:
        await store.close()
    return version


async def _analyze(engine: Any) -> None:
    """Refresh the planner's statistics after a bulk load (PostgreSQL only), as the baseline's seeding does."""
    if engine.dialect.name != "postgresql":
        return
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("ANALYZE"))
