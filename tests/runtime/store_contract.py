"""The contract every ``EventStore`` adapter passes, subclassed once per backend.

A subclass provides the ``open_store`` fixture: a factory of store instances on
one fresh, empty database (each instance has its own pool, like a replica).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC

import pytest
from sqlalchemy.exc import IntegrityError

from potter_runtime import ConcurrencyError
from potter_runtime.errors import InvalidArgumentError
from potter_runtime.store import EventMetadata, NewEvent, Snapshot, StoredEvent
from potter_runtime.store.schema import events_table
from potter_runtime.store.sql import SqlAlchemyEventStore

OpenStore = Callable[[], Awaitable[SqlAlchemyEventStore]]


def event(n: int, *, event_id: uuid.UUID | None = None, metadata: EventMetadata | None = None) -> NewEvent:
    return NewEvent(
        event_type="item.renamed",
        event_version=2,
        payload={"n": n, "tags": ["a"]},
        event_id=event_id or uuid.uuid4(),
        metadata=metadata or EventMetadata(),
    )


class EventStoreContract:
    @pytest.fixture
    async def store(self, open_store: OpenStore) -> SqlAlchemyEventStore:
        return await open_store()

    async def test_append_load_round_trip(self, store: SqlAlchemyEventStore) -> None:
        meta = EventMetadata(command_id="c1", correlation_id="r1", causation_id="m1")
        first = event(1, metadata=meta)
        assert await store.append("Item", "a", 0, [first, event(2)]) == 2
        assert await store.append("Item", "a", 2, [event(3)]) == 3

        loaded = await store.load("Item", "a")

        assert [e.version for e in loaded] == [1, 2, 3]
        assert [e.payload for e in loaded] == [{"n": n, "tags": ["a"]} for n in (1, 2, 3)]
        assert {(e.aggregate_type, e.aggregate_id, e.event_type, e.event_version) for e in loaded} == {
            ("Item", "a", "item.renamed", 2)
        }
        assert loaded[0].event_id == first.event_id
        assert loaded[0].metadata == meta
        assert loaded[1].metadata == EventMetadata()
        assert len({e.event_id for e in loaded}) == 3
        assert all(e.recorded_at.tzinfo is UTC for e in loaded)
        assert loaded[0].position < loaded[1].position < loaded[2].position

    async def test_load_after_version(self, store: SqlAlchemyEventStore) -> None:
        await store.append("Item", "a", 0, [event(n) for n in range(1, 6)])

        assert [e.version for e in await store.load("Item", "a", after_version=3)] == [4, 5]
        assert await store.load("Item", "a", after_version=5) == []

    async def test_load_missing_stream_is_empty(self, store: SqlAlchemyEventStore) -> None:
        assert await store.load("Item", "nope") == []

    async def test_streams_are_separated_by_type_and_id(self, store: SqlAlchemyEventStore) -> None:
        await store.append("Item", "a", 0, [event(1)])
        await store.append("Order", "a", 0, [event(2)])
        await store.append("Item", "b", 0, [event(3)])

        assert [e.payload["n"] for e in await store.load("Order", "a")] == [2]
        assert [e.payload["n"] for e in await store.load("Item", "a")] == [1]

    async def test_aggregate_ids_in_first_append_order(self, store: SqlAlchemyEventStore) -> None:
        for aggregate_id in ("z", "a", "m"):
            await store.append("Item", aggregate_id, 0, [event(1)])
        await store.append("Item", "z", 1, [event(2)])
        await store.append("Order", "q", 0, [event(1)])

        assert await store.aggregate_ids("Item") == ["z", "a", "m"]
        assert await store.aggregate_ids("Other") == []

    @pytest.mark.parametrize("expected_version", [0, 2, 5])
    async def test_append_at_wrong_version_raises_and_stores_nothing(
        self, store: SqlAlchemyEventStore, expected_version: int
    ) -> None:
        await store.append("Item", "a", 0, [event(1)])

        with pytest.raises(ConcurrencyError, match=f"expected version {expected_version}, found version 1") as info:
            await store.append("Item", "a", expected_version, [event(2), event(3)])

        assert info.value.status == 409
        assert [e.payload["n"] for e in await store.load("Item", "a")] == [1]

    async def test_append_nothing_returns_expected_version(self, store: SqlAlchemyEventStore) -> None:
        assert await store.append("Item", "a", 0, []) == 0
        assert await store.load("Item", "a") == []

    async def test_create_schema_is_idempotent(self, store: SqlAlchemyEventStore) -> None:
        await store.create_schema()
        await store.append("Item", "a", 0, [event(1)])
        await store.create_schema()
        assert len(await store.load("Item", "a")) == 1

    async def test_duplicate_event_id_is_refused_and_stores_nothing(self, store: SqlAlchemyEventStore) -> None:
        first = event(1)
        await store.append("Item", "a", 0, [first])

        with pytest.raises(IntegrityError):
            await store.append("Item", "b", 0, [event(2), event(3, event_id=first.event_id)])

        assert await store.load("Item", "b") == []

    async def test_database_refuses_a_second_row_for_one_version(self, store: SqlAlchemyEventStore) -> None:
        # Bypass the version check: the UNIQUE constraint itself must refuse version 1 twice.
        await store.append("Item", "a", 0, [event(1)])
        stored = (await store.load("Item", "a"))[0]
        row = {
            "event_id": uuid.uuid4(),
            "aggregate_type": "Item",
            "aggregate_id": "a",
            "version": 1,
            "event_type": "x",
            "event_version": 1,
            "payload": {},
            "metadata": {},
            "recorded_at": stored.recorded_at,
        }
        with pytest.raises(IntegrityError):
            async with store.engine.begin() as conn:
                await conn.execute(events_table.insert(), [row])

    async def test_append_in_commits_or_rolls_back_with_the_callers_transaction(
        self, store: SqlAlchemyEventStore
    ) -> None:
        class Abort(Exception):
            pass

        with pytest.raises(Abort):
            async with store.engine.begin() as conn:
                assert await store.append_in(conn, "Item", "a", 0, [event(1)]) == 1
                raise Abort
        assert await store.load("Item", "a") == []

        async with store.engine.begin() as conn:
            await store.append_in(conn, "Item", "a", 0, [event(1)])
        assert [e.version for e in await store.load("Item", "a")] == [1]

    async def test_read_all_follows_position_from_a_checkpoint(self, store: SqlAlchemyEventStore) -> None:
        assert await store.max_position() == 0
        assert await store.read_all() == []
        await store.append("Item", "a", 0, [event(1), event(2)])
        await store.append("Order", "b", 0, [event(3)])
        await store.append("Item", "a", 2, [event(4)])

        everything = await store.read_all()
        first_page = await store.read_all(limit=2)
        rest = await store.read_all(after_position=first_page[-1].position, limit=10)

        assert [e.payload["n"] for e in everything] == [1, 2, 3, 4]
        assert [e.aggregate_type for e in everything] == ["Item", "Item", "Order", "Item"]
        assert first_page + rest == everything
        assert await store.max_position() == everything[-1].position
        assert await store.read_all(after_position=everything[-1].position) == []
        with pytest.raises(ValueError, match="limit must be positive"):
            await store.read_all(limit=0)

    async def test_snapshots_save_replace_and_load(self, store: SqlAlchemyEventStore) -> None:
        assert await store.load_snapshot("Item", "a") is None
        old = Snapshot("Item", "a", 100, {"name": "x", "tags": [1, 2]}, "f" * 64)
        new = Snapshot("Item", "a", 200, {"name": "y"}, "e" * 64)

        await store.save_snapshot(old)
        assert await store.load_snapshot("Item", "a") == old
        await store.save_snapshot(new)

        assert await store.load_snapshot("Item", "a") == new
        assert await store.load_snapshot("Order", "a") is None
        await store.save_snapshot(old)  # a late writer of an older snapshot
        assert await store.load_snapshot("Item", "a") == new

    async def test_a_nul_character_is_refused_and_nothing_is_stored(self, store: SqlAlchemyEventStore) -> None:
        """U+0000 in a payload, a key or the state is INVALID_ARGUMENT on every backend (PostgreSQL's jsonb cannot hold it)."""
        for payload, state in (({"n": "a\x00b"}, None), ({"n": 1, "k\x00": 2}, None), ({"n": 1}, {"list": ["\x00"]})):
            with pytest.raises(InvalidArgumentError, match="NUL character"):
                await store.append("Item", "a", 0, [NewEvent("item.created", 1, payload)], state=state)
        assert await store.load("Item", "a") == []

    async def test_concurrent_appends_at_one_version_exactly_one_wins(self, open_store: OpenStore) -> None:
        stores = [await open_store() for _ in range(8)]
        results = await asyncio.gather(
            *(s.append("Item", "a", 0, [event(i), event(i)]) for i, s in enumerate(stores)),
            return_exceptions=True,
        )

        winners = [i for i, r in enumerate(results) if r == 2]
        assert len(winners) == 1, results
        assert all(isinstance(r, ConcurrencyError) for r in results if r != 2), results
        loaded = await stores[0].load("Item", "a")
        assert [(e.version, e.payload["n"]) for e in loaded] == [(1, winners[0]), (2, winners[0])]
        assert len(await stores[0].read_all()) == 2

    async def test_reader_following_position_sees_every_concurrent_append(self, open_store: OpenStore) -> None:
        writers = [await open_store() for _ in range(6)]
        reader = await open_store()
        appended: list[uuid.UUID] = []
        seen: list[StoredEvent] = []
        done = asyncio.Event()

        async def write(index: int, s: SqlAlchemyEventStore) -> None:
            for version in range(5):
                batch = [event(index), event(index)]
                await s.append("Item", f"agg-{index}", version * 2, batch)
                appended.extend(e.event_id for e in batch)

        async def follow() -> None:
            checkpoint = 0
            while True:
                finished = done.is_set()  # read once more after the writers finished
                batch = await reader.read_all(after_position=checkpoint, limit=7)
                seen.extend(batch)
                if batch:
                    checkpoint = batch[-1].position
                elif finished:
                    return
                await asyncio.sleep(0)

        follower = asyncio.create_task(follow())
        await asyncio.gather(*(write(i, s) for i, s in enumerate(writers)))
        done.set()
        await follower

        positions = [e.position for e in seen]
        assert positions == sorted(set(positions)), "positions must be strictly increasing"
        assert sorted(e.event_id for e in seen) == sorted(appended)
        assert len(seen) == 60
        for index in range(6):
            versions = [e.version for e in seen if e.aggregate_id == f"agg-{index}"]
            assert versions == list(range(1, 11))
