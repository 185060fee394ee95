"""SqlEventStore against real SQLite files."""

from __future__ import annotations

import asyncio
from datetime import UTC

import pytest

from potter_runtime import ConcurrencyError, NewEvent, SqlEventStore

pytestmark = pytest.mark.anyio


def _event(n: int) -> NewEvent:
    return NewEvent(
        event_type="item.renamed", event_version=2, payload={"n": n, "tags": ["a"]}
    )


async def test_append_load_round_trip(store: SqlEventStore) -> None:
    assert await store.append("Item", "a", 0, [_event(1), _event(2)]) == 2
    assert await store.append("Item", "a", 2, [_event(3)]) == 3

    loaded = await store.load("Item", "a")

    assert [e.version for e in loaded] == [1, 2, 3]
    assert [e.payload for e in loaded] == [{"n": n, "tags": ["a"]} for n in (1, 2, 3)]
    assert {
        (e.aggregate_type, e.aggregate_id, e.event_type, e.event_version)
        for e in loaded
    } == {("Item", "a", "item.renamed", 2)}
    assert all(e.recorded_at.tzinfo is UTC for e in loaded)


async def test_load_missing_stream_is_empty(store: SqlEventStore) -> None:
    assert await store.load("Item", "nope") == []


async def test_streams_are_separated_by_type_and_id(store: SqlEventStore) -> None:
    await store.append("Item", "a", 0, [_event(1)])
    await store.append("Order", "a", 0, [_event(2)])
    await store.append("Item", "b", 0, [_event(3)])

    assert [e.payload["n"] for e in await store.load("Order", "a")] == [2]
    assert [e.payload["n"] for e in await store.load("Item", "a")] == [1]


async def test_aggregate_ids_in_first_append_order(store: SqlEventStore) -> None:
    for aggregate_id in ("z", "a", "m"):
        await store.append("Item", aggregate_id, 0, [_event(1)])
    await store.append("Item", "z", 1, [_event(2)])
    await store.append("Order", "q", 0, [_event(1)])

    assert await store.aggregate_ids("Item") == ["z", "a", "m"]
    assert await store.aggregate_ids("Other") == []


async def test_append_with_stale_version_raises(store: SqlEventStore) -> None:
    await store.append("Item", "a", 0, [_event(1)])

    with pytest.raises(ConcurrencyError) as info:
        await store.append("Item", "a", 0, [_event(2)])

    assert info.value.status == 409
    assert [e.payload["n"] for e in await store.load("Item", "a")] == [1]


async def test_append_nothing_returns_expected_version(store: SqlEventStore) -> None:
    assert await store.append("Item", "a", 0, []) == 0
    assert await store.load("Item", "a") == []


async def test_create_schema_is_idempotent(store: SqlEventStore) -> None:
    await store.create_schema()
    await store.append("Item", "a", 0, [_event(1)])
    await store.create_schema()
    assert len(await store.load("Item", "a")) == 1


async def test_concurrent_appends_exactly_one_wins(db_url: str) -> None:
    # Separate engines on one file behave like separate service replicas.
    stores = [SqlEventStore(db_url) for _ in range(6)]
    await stores[0].create_schema()
    try:
        results = await asyncio.gather(
            *(
                s.append("Item", "a", 0, [_event(i), _event(i)])
                for i, s in enumerate(stores)
            ),
            return_exceptions=True,
        )
        winners = [i for i, r in enumerate(results) if r == 2]
        assert len(winners) == 1, results
        assert all(isinstance(r, ConcurrencyError) for r in results if r != 2), results
        loaded = await stores[0].load("Item", "a")
        assert [(e.version, e.payload["n"]) for e in loaded] == [
            (1, winners[0]),
            (2, winners[0]),
        ]
    finally:
        for s in stores:
            await s.close()


async def test_unique_constraint_rejects_duplicate_version(
    store: SqlEventStore,
) -> None:
    # Bypass the version pre-check: the database itself must refuse a second version 1.
    from sqlalchemy.exc import IntegrityError

    from potter_runtime.event_store import events_table

    await store.append("Item", "a", 0, [_event(1)])
    row = {
        "aggregate_type": "Item",
        "aggregate_id": "a",
        "version": 1,
        "event_type": "x",
        "event_version": 1,
        "payload": {},
        "recorded_at": (await store.load("Item", "a"))[0].recorded_at,
    }
    with pytest.raises(IntegrityError):
        async with store.engine.begin() as conn:
            await conn.execute(events_table.insert(), [row])
