"""EventSourcedRepository over a real SQLite event store."""

from __future__ import annotations

import uuid

import pytest

from potter_runtime import ConcurrencyError, EventSourcedRepository, NotFoundError
from potter_runtime.store.sqlite import SqliteEventStore as SqlEventStore

from .items import Item, ItemCreated, ItemDeleted, ItemRenamed

pytestmark = pytest.mark.anyio


@pytest.fixture
def repo(store: SqlEventStore) -> EventSourcedRepository[Item]:
    return EventSourcedRepository(store, Item)


async def _create(
    repo: EventSourcedRepository[Item], name: str, item_id: str | None = None
) -> Item:
    item = repo.new(item_id)
    item.record(ItemCreated(display_name=name))
    await repo.save(item)
    return item


async def test_new_assigns_uuid_and_starts_empty(
    repo: EventSourcedRepository[Item],
) -> None:
    item = repo.new()
    assert uuid.UUID(item.id).version == 4
    assert (item.version, item.pending_events, item.deleted) == (0, (), False)
    assert item.state.item_id == item.id
    assert repo.new("fixed").id == "fixed"


async def test_save_then_get_round_trip(
    repo: EventSourcedRepository[Item], store: SqlEventStore
) -> None:
    item = await _create(repo, "first")
    item.record(ItemRenamed(display_name="second"))
    assert len(item.pending_events) == 1
    await repo.save(item)

    assert item.version == 2
    assert not item.pending_events
    loaded = await repo.get(item.id)
    assert loaded.version == 2
    assert loaded.state.display_name == "second"
    assert loaded.state.renames == 1
    assert loaded.pending_events == ()
    stored = await store.load("Item", item.id)
    assert [(e.event_type, e.event_version, e.payload) for e in stored] == [
        ("item.created", 1, {"displayName": "first"}),
        ("item.renamed", 2, {"displayName": "second"}),
    ]


async def test_save_without_pending_events_is_a_no_op(
    repo: EventSourcedRepository[Item],
) -> None:
    item = await _create(repo, "x")
    await repo.save(item)
    assert (await repo.get(item.id)).version == 1


async def test_get_missing_raises_not_found(repo: EventSourcedRepository[Item]) -> None:
    with pytest.raises(NotFoundError, match="Item 'abc' not found"):
        await repo.get("abc")
    assert await repo.find("abc") is None


async def test_optimistic_concurrency_keeps_first_writer(
    store: SqlEventStore, db_url: str
) -> None:
    first_repo = EventSourcedRepository(store, Item)
    other_store = SqlEventStore(db_url)
    second_repo = EventSourcedRepository(other_store, Item)
    try:
        created = await _create(first_repo, "v1")
        first = await first_repo.get(created.id)
        second = await second_repo.get(created.id)
        first.record(ItemRenamed(display_name="by first"))
        second.record(ItemRenamed(display_name="by second"))

        await first_repo.save(first)
        with pytest.raises(ConcurrencyError):
            await second_repo.save(second)

        assert len(second.pending_events) == 1  # not marked committed
        stored = await store.load("Item", created.id)
        assert [e.payload["displayName"] for e in stored] == ["v1", "by first"]
        assert (await second_repo.get(created.id)).state.display_name == "by first"
    finally:
        await other_store.close()


async def test_deleted_aggregate_is_hidden(repo: EventSourcedRepository[Item]) -> None:
    kept = await _create(repo, "kept")
    gone = await _create(repo, "gone")
    gone.record(ItemDeleted())
    assert gone.deleted
    await repo.save(gone)

    with pytest.raises(NotFoundError):
        await repo.get(gone.id)
    assert await repo.find(gone.id) is None
    assert [i.id for i in await repo.list()] == [kept.id]


async def test_list_in_creation_order(repo: EventSourcedRepository[Item]) -> None:
    ids = [(await _create(repo, name, f"id-{name}")).id for name in ("c", "a", "b")]
    first = await repo.get(ids[0])
    first.record(ItemRenamed(display_name="c2"))
    await repo.save(first)

    listed = await repo.list()
    assert [i.id for i in listed] == ids
    assert [i.state.display_name for i in listed] == ["c2", "a", "b"]
