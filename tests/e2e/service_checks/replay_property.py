"""Property: random command sequences, then `replay`, give exactly the rows the live read models hold.

Copied into the generated library project by tests/e2e/test_postgres_service.py
and run with its fixtures, on SQLite or (TEST_DATABASE_URL) PostgreSQL.
"""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from library.application.messages import (
    BorrowBookRequest,
    CreateBookRequest,
    DeleteBookRequest,
    UpdateBookRequest,
)
from library.application.read_models import book_summary_table
from library.application.read_models import metadata as read_model_metadata
from library.bootstrap import Container
from sqlalchemy import delete, select

from potter_runtime.errors import ServiceError
from potter_runtime.migrations import prepare_database
from potter_runtime.readmodels import ProjectionRunner
from potter_runtime.readmodels.replay import replay
from potter_runtime.store.schema import metadata as runtime_metadata

Command = tuple[str, int, str, int]
commands = st.lists(
    st.tuples(st.sampled_from(["create", "update", "delete", "borrow"]), st.integers(0, 5), st.text(max_size=4), st.integers(0, 3)),
    max_size=30,
)


async def _execute(container: Container, script: list[Command]) -> None:
    books: list[str] = []
    for verb, index, text, number in script:
        target = books[index % len(books)] if books else "none"
        try:
            if verb == "create":
                created = await container.create_book.handle(CreateBookRequest(title=text, author=text[:1], copies=number))
                books.append(created.book_id)
            elif verb == "update":
                await container.update_book.handle(UpdateBookRequest(id=target, title=text, copies=number))
            elif verb == "delete":
                await container.delete_book.handle(DeleteBookRequest(id=target))
            else:
                await container.borrow_book.handle(BorrowBookRequest(book_id=target, member_id="m"))
        except ServiceError:
            pass  # not found, unavailable: refused commands store nothing


async def _rows(container: Container) -> tuple[list[Any], list[Any], list[Any]]:
    states = runtime_metadata.tables["aggregate_states"]
    counts = runtime_metadata.tables["aggregate_counts"]
    async with container.event_store.engine.connect() as conn:
        count_rows = (await conn.execute(select(counts.c.aggregate_type, counts.c.live).where(counts.c.live > 0).order_by(counts.c.aggregate_type))).all()
        state_rows = (await conn.execute(select(states.c.aggregate_type, states.c.aggregate_id, states.c.version, states.c.state).order_by(states.c.aggregate_id))).all()
        documents = (await conn.execute(select(book_summary_table.c.id, book_summary_table.c.document).order_by(book_summary_table.c.id))).all()
    return [tuple(r) for r in state_rows], [tuple(r) for r in documents], [tuple(r) for r in count_rows]


async def _example(container: Container, script: list[Command]) -> None:
    store = container.event_store
    try:
        await prepare_database(store, read_model_metadata, container.migrations_dir)
        async with store.engine.begin() as conn:  # each example starts from empty tables
            for table in (*reversed(runtime_metadata.sorted_tables), *read_model_metadata.sorted_tables):
                if table.name != "alembic_version":
                    await conn.execute(delete(table))
        await _execute(container, script)
        for projection in container.read_models.projections():
            await ProjectionRunner(store, store.engine, projection).run_until_caught_up()
        live = await _rows(container)
        await replay(store, container.rebuildable_projections(), progress=False)
        assert await _rows(container) == live
    finally:
        await store.engine.dispose()  # its connections belong to this example's event loop


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=commands)
def test_replay_rebuilds_the_live_read_models(container: Container, script: list[Command]) -> None:
    asyncio.run(_example(container, script))
