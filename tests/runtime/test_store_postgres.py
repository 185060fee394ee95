"""The event store and read-model contracts on a real PostgreSQL server, plus its commit-order guarantee."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from potter_runtime.errors import ConcurrencyError
from potter_runtime.store.port import StoredEvent
from potter_runtime.store.postgres import PostgresEventStore
from potter_runtime.store.schema import metadata
from potter_runtime.store.sql import SqlAlchemyEventStore

from .readmodels_contract import ReadModelContract
from .store_contract import EventStoreContract, OpenStore, event

pytestmark = pytest.mark.anyio


@pytest.fixture
async def open_store(postgres_url: str) -> AsyncIterator[OpenStore]:
    opened: list[SqlAlchemyEventStore] = []

    async def open_one() -> SqlAlchemyEventStore:
        store = PostgresEventStore(postgres_url)
        if not opened:  # each test starts from empty tables
            async with store.engine.begin() as conn:
                await conn.run_sync(metadata.drop_all)
            await store.create_schema()
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        await store.close()


class TestPostgresReadModels(ReadModelContract):
    pass


class TestPostgresEventStore(EventStoreContract):
    async def test_reader_never_skips_an_append_that_commits_late(self, open_store: OpenStore) -> None:
        # An append holds its transaction open; a second append must wait for it,
        # so no later position can become visible while an earlier one is in flight.
        slow, fast, reader = await open_store(), await open_store(), await open_store()
        async with slow.engine.connect() as slow_conn:
            transaction = await slow_conn.begin()
            await slow.append_in(slow_conn, "Item", "slow", 0, [event(1)])
            fast_append = asyncio.create_task(fast.append("Item", "fast", 0, [event(2)]))
            await _until_waiting_for_lock(reader, fast_append)

            assert await reader.read_all() == []
            await transaction.commit()
        await fast_append

        followed = await reader.read_all()
        assert [e.aggregate_id for e in followed] == ["slow", "fast"]
        assert followed[0].position < followed[1].position

    async def test_an_append_waiting_for_the_lock_behind_the_same_stream_fails_with_a_conflict(
        self, open_store: OpenStore
    ) -> None:
        # The waiting append's statement took its snapshot before the first one
        # committed, so its version check still sees version 0; the UNIQUE
        # (aggregate_type, aggregate_id, version) constraint makes the check exact.
        first, second = await open_store(), await open_store()
        async with first.engine.connect() as conn:
            transaction = await conn.begin()
            await first.append_in(conn, "Item", "a", 0, [event(1)], state={"n": 1})
            late = asyncio.create_task(second.append("Item", "a", 0, [event(2)], state={"n": 2}))
            await _until_waiting_for_lock(second, late)
            await transaction.commit()
        with pytest.raises(ConcurrencyError, match="expected version 0"):
            await late

        assert [e.payload["n"] for e in await second.load("Item", "a")] == [1]
        async with second.engine.connect() as conn:
            live = await conn.scalar(text("SELECT live FROM aggregate_counts WHERE aggregate_type = 'Item'"))
            state = await conn.scalar(text("SELECT state FROM aggregate_states WHERE aggregate_id = 'a'"))
        assert (live, state) == (1, {"n": 1})

    async def test_a_reader_following_concurrent_appends_sees_every_event_in_stream_order(
        self, open_store: OpenStore
    ) -> None:
        # Many appends on separate connections race (their transactions overlap
        # and would commit out of position order without the append lock) while a
        # reader follows ``position`` with a checkpoint, as the relay does.
        writer, reader = await open_store(), await open_store()
        streams, versions = 8, 6

        async def write(stream: int) -> None:
            for version in range(versions):
                await writer.append("Item", f"s{stream}", version, [event(version + 1)], state={"v": version + 1})

        appends = asyncio.gather(*(write(stream) for stream in range(streams)))
        followed: list[StoredEvent] = []
        while not appends.done() or await reader.max_position() > (followed[-1].position if followed else 0):
            followed += await reader.read_all(after_position=followed[-1].position if followed else 0, limit=7)
            await asyncio.sleep(0)
        await appends

        assert len(followed) == streams * versions == len({e.event_id for e in followed})
        assert [e.position for e in followed] == sorted(e.position for e in followed)
        for stream in range(streams):
            assert [e.version for e in followed if e.aggregate_id == f"s{stream}"] == list(range(1, versions + 1))
        async with reader.engine.connect() as conn:
            live = await conn.scalar(text("SELECT live FROM aggregate_counts WHERE aggregate_type = 'Item'"))
        assert live == streams

    async def test_lock_timeout_fails_a_waiting_append(self, open_store: OpenStore, postgres_url: str) -> None:
        holder = await open_store()
        impatient = PostgresEventStore(postgres_url, lock_timeout=0.05)
        try:
            async with holder.engine.begin() as conn:
                await holder.append_in(conn, "Item", "a", 0, [event(1)])
                with pytest.raises(DBAPIError, match="lock timeout"):
                    await impatient.append("Item", "b", 0, [event(2)])
            assert await impatient.append("Item", "b", 0, [event(2)]) == 1
        finally:
            await impatient.close()

    async def test_an_append_on_a_connection_the_server_closed_fails_and_the_next_one_reconnects(
        self, open_store: OpenStore
    ) -> None:
        # ``append`` uses the pooled connection's asyncpg connection directly; a
        # broken one must be discarded, not handed to the next append.
        store, admin = await open_store(), await open_store()
        assert await store.append("Item", "a", 0, [event(1)]) == 1  # the pool now holds one connection
        async with admin.engine.connect() as conn:
            await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        with pytest.raises(DBAPIError) as failure:
            await store.append("Item", "a", 1, [event(2)])
        assert failure.value.connection_invalidated

        assert await store.append("Item", "a", 1, [event(2)]) == 2
        assert [e.version for e in await store.load("Item", "a")] == [1, 2]

    async def test_a_cancelled_append_waiting_for_the_lock_stores_nothing_and_the_store_keeps_working(
        self, open_store: OpenStore
    ) -> None:
        # A command's timeout cancels its append mid-statement: the connection is
        # discarded (it may be mid-protocol) after its CancelRequest reached the server.
        holder, store = await open_store(), await open_store()
        async with holder.engine.connect() as conn:
            transaction = await conn.begin()
            await holder.append_in(conn, "Item", "other", 0, [event(1)])
            waiting = asyncio.create_task(store.append("Item", "a", 0, [event(2)], state={"n": 2}))
            await _until_waiting_for_lock(store, waiting)
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
            await transaction.commit()

        assert await store.load("Item", "a") == []
        assert await store.append("Item", "a", 0, [event(3)], state={"n": 3}) == 1
        assert [e.payload["n"] for e in await store.load("Item", "a")] == [3]


async def _until_waiting_for_lock(store: SqlAlchemyEventStore, append: asyncio.Task[int]) -> None:
    """Return once some session waits for the append lock (an advisory lock), or ``append`` finished."""
    query = text("SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'advisory'")
    while not append.done():
        async with store.engine.connect() as conn:
            if await conn.scalar(query):
                return
        await asyncio.sleep(0.01)
