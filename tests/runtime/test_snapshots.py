"""Snapshots: the policy, the state schema fingerprint, and loading through EventSourcedRepository."""

from __future__ import annotations

from typing import ClassVar

import pytest
from pydantic import BaseModel

from potter_runtime import DomainEvent, EventSourcedRepository
from potter_runtime.store import Snapshot
from potter_runtime.store.snapshots import SnapshotPolicy, schema_fingerprint
from potter_runtime.store.sqlite import SqliteEventStore

from .items import Item, ItemCreated, ItemDeleted, ItemRenamed, ItemState


@pytest.mark.parametrize(
    ("old", "new", "due"),
    [(0, 1, False), (2, 3, True), (3, 4, False), (5, 6, True), (2, 7, True), (0, 2, False), (4, 5, False)],
)
def test_policy_is_due_when_the_version_crosses_a_multiple(old: int, new: int, due: bool) -> None:
    assert SnapshotPolicy(interval=3).is_due(old, new) is due


def test_policy_defaults_to_100_and_rejects_non_positive_intervals() -> None:
    assert SnapshotPolicy().interval == 100
    assert SnapshotPolicy().is_due(99, 100)
    with pytest.raises(ValueError, match="positive number of events, got 0"):
        SnapshotPolicy(interval=0)


class ItemStateV1(BaseModel):
    """The state shape before ``name`` was renamed ``display_name``."""

    item_id: str
    name: str = ""
    renames: int = 0


def test_fingerprint_is_stable_and_follows_the_state_shape() -> None:
    class SameShape(BaseModel):
        item_id: str
        display_name: str = ""
        renames: int = 0

    class OtherType(BaseModel):
        item_id: str
        display_name: str = ""
        renames: float = 0

    fingerprint = schema_fingerprint(ItemState)
    assert len(fingerprint) == 64 and fingerprint == schema_fingerprint(ItemState)
    assert schema_fingerprint(ItemStateV1) != fingerprint
    assert schema_fingerprint(OtherType) != fingerprint
    # The title is part of the schema, so two classes with one shape still differ by name.
    assert schema_fingerprint(SameShape) != fingerprint


class ItemV1(Item):
    """The Item aggregate as an older release wrote it (state ``ItemStateV1``)."""

    event_types: ClassVar[dict[str, type[DomainEvent]]] = Item.event_types

    def initial_state(self, aggregate_id: str) -> ItemStateV1:  # type: ignore[override]
        return ItemStateV1(item_id=aggregate_id)

    def apply(self, event: DomainEvent) -> None:
        state: ItemStateV1 = self.state  # type: ignore[assignment]
        if isinstance(event, ItemCreated | ItemRenamed):
            state.name = event.display_name


pytestmark = pytest.mark.anyio


@pytest.fixture
def repo(store: SqliteEventStore) -> EventSourcedRepository[Item]:
    return EventSourcedRepository(store, Item, snapshots=SnapshotPolicy(interval=3))


async def _item_with_renames(repo: EventSourcedRepository[Item], renames: int) -> Item:
    item = repo.new("i1")
    item.record(ItemCreated(display_name="v0"))
    await repo.save(item)
    for n in range(1, renames + 1):
        item.record(ItemRenamed(display_name=f"v{n}"))
        await repo.save(item)
    return item


async def test_snapshot_saved_each_interval_holds_the_state(
    repo: EventSourcedRepository[Item], store: SqliteEventStore
) -> None:
    await _item_with_renames(repo, 4)  # versions 1..5

    snapshot = await store.load_snapshot("Item", "i1")

    assert snapshot == Snapshot(
        "Item", "i1", 3, {"item_id": "i1", "display_name": "v2", "renames": 2}, schema_fingerprint(ItemState)
    )


async def test_load_is_the_snapshot_plus_later_events(
    repo: EventSourcedRepository[Item], store: SqliteEventStore
) -> None:
    await _item_with_renames(repo, 4)
    # A snapshot that no replay could produce shows that events up to 3 were not replayed.
    marked = {"item_id": "i1", "display_name": "from snapshot", "renames": 100}
    await store.save_snapshot(Snapshot("Item", "i1", 4, marked, schema_fingerprint(ItemState)))

    item = await repo.get("i1")

    assert (item.version, item.state.display_name, item.state.renames) == (5, "v4", 101)


async def test_load_of_a_stream_whose_snapshot_is_its_last_version(
    repo: EventSourcedRepository[Item],
) -> None:
    await _item_with_renames(repo, 2)  # snapshot at 3, no later event

    item = await repo.get("i1")

    assert (item.version, item.state.display_name, item.state.renames) == (3, "v2", 2)
    item.record(ItemRenamed(display_name="next"))
    await repo.save(item)
    assert (await repo.get("i1")).state.display_name == "next"


async def test_snapshot_of_an_older_state_shape_is_ignored_not_misread(store: SqliteEventStore) -> None:
    old_repo = EventSourcedRepository(store, ItemV1, snapshots=SnapshotPolicy(interval=3))
    await _item_with_renames(old_repo, 4)  # type: ignore[arg-type]
    old_snapshot = await store.load_snapshot("Item", "i1")
    assert old_snapshot is not None and old_snapshot.state["name"] == "v2"

    item = await EventSourcedRepository(store, Item, snapshots=SnapshotPolicy(interval=3)).get("i1")

    # Decoding {"name": "v2", ...} as ItemState would have given display_name "" and renames 2.
    assert (item.version, item.state.display_name, item.state.renames) == (5, "v4", 4)


async def test_unreadable_snapshot_with_a_matching_fingerprint_is_ignored(
    repo: EventSourcedRepository[Item], store: SqliteEventStore
) -> None:
    await _item_with_renames(repo, 4)
    await store.save_snapshot(Snapshot("Item", "i1", 4, {"renames": "many"}, schema_fingerprint(ItemState)))

    item = await repo.get("i1")

    assert (item.version, item.state.display_name, item.state.renames) == (5, "v4", 4)


async def test_deleted_aggregate_gets_no_snapshot_and_stays_deleted(
    repo: EventSourcedRepository[Item], store: SqliteEventStore
) -> None:
    item = await _item_with_renames(repo, 1)  # version 2
    item.record(ItemDeleted())
    await repo.save(item)  # version 3 would be due

    assert await store.load_snapshot("Item", "i1") is None
    assert await repo.find("i1") is None


async def test_without_a_policy_snapshots_are_neither_written_nor_read(store: SqliteEventStore) -> None:
    repo = EventSourcedRepository(store, Item)
    await _item_with_renames(repo, 4)
    assert await store.load_snapshot("Item", "i1") is None
    marked = {"item_id": "i1", "display_name": "from snapshot", "renames": 100}
    await store.save_snapshot(Snapshot("Item", "i1", 4, marked, schema_fingerprint(ItemState)))

    item = await repo.get("i1")

    assert (item.version, item.state.display_name, item.state.renames) == (5, "v4", 4)


def test_settings_turn_snapshots_on_by_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from potter_runtime import ServiceSettings

    class Settings(ServiceSettings):
        database_url: str = "sqlite+aiosqlite:///./x.db"

    assert Settings().snapshot_policy() == SnapshotPolicy(100)  # the default
    monkeypatch.setenv("SNAPSHOT_INTERVAL", "0")
    assert Settings().snapshot_policy() is None
    monkeypatch.setenv("SNAPSHOT_INTERVAL", "50")
    assert Settings().snapshot_policy() == SnapshotPolicy(50)
    monkeypatch.setenv("SNAPSHOT_INTERVAL", "-1")
    with pytest.raises(ValidationError, match="snapshot_interval"):
        Settings()
