"""The event store and read-model contracts on SQLite files."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from potter_runtime.store import open_event_store
from potter_runtime.store.sql import SqlAlchemyEventStore
from potter_runtime.store.sqlite import SqliteEventStore

from .readmodels_contract import ReadModelContract
from .store_contract import EventStoreContract, OpenStore

pytestmark = pytest.mark.anyio


@pytest.fixture
async def open_store(db_url: str) -> AsyncIterator[OpenStore]:
    opened: list[SqlAlchemyEventStore] = []

    async def open_one() -> SqlAlchemyEventStore:
        store = SqliteEventStore(db_url)
        if not opened:
            await store.create_schema()
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        await store.close()


class TestSqliteReadModels(ReadModelContract):
    pass


class TestSqliteEventStore(EventStoreContract):
    pass


def test_open_event_store_picks_the_adapter_from_the_url(db_url: str) -> None:
    from potter_runtime.store.postgres import PostgresEventStore

    assert type(open_event_store(db_url)) is SqliteEventStore
    assert type(open_event_store("postgresql+asyncpg://u@localhost/db")) is PostgresEventStore
    with pytest.raises(ValueError, match="unsupported database URL scheme 'mysql\\+aiomysql'"):
        open_event_store("mysql+aiomysql://u@localhost/db")


async def test_create_schema_refuses_an_events_table_without_position(db_url: str) -> None:
    # The events table potter_runtime 0.1 created; create_all would leave it as it is.
    store = SqliteEventStore(db_url)
    try:
        async with store.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, aggregate_type VARCHAR(200))"))

        with pytest.raises(RuntimeError, match=r"events\.db predates potter_runtime 0\.2 \(no position column\)"):
            await store.create_schema()
    finally:
        await store.close()
