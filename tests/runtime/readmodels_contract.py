"""The read-model contract (state projection, checkpointed projections), subclassed once per backend.

Uses the backend's ``open_store`` fixture, like ``store_contract.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from pydantic import BaseModel
from sqlalchemy import Column, Integer, MetaData, String, Table, Uuid, func, select, update
from sqlalchemy import event as sqlalchemy_events
from sqlalchemy.ext.asyncio import AsyncConnection

from potter_runtime import ConcurrencyError, EventSourcedRepository
from potter_runtime.errors import InvalidArgumentError, NotFoundError
from potter_runtime.messages import DomainEvent
from potter_runtime.readmodels import (
    DocumentReadModel,
    ProjectionRunner,
    StateReadModel,
    StateView,
    document_table,
)
from potter_runtime.readmodels.documents import DocumentProjection
from potter_runtime.readmodels.replay import StateProjection, replay
from potter_runtime.store import StoredEvent
from potter_runtime.store.schema import aggregate_states_table as states
from potter_runtime.store.sql import SqlAlchemyEventStore

from .items import Item, ItemCreated, ItemDeleted, ItemRenamed, ItemState
from .store_contract import OpenStore, event


class Named(BaseModel):
    name: str


class Book(BaseModel):
    title: str = ""
    author: str = ""
    copies: int = 0
    lendable: bool = False


def names(views: list[StateView[Named]]) -> list[str]:
    return [view.aggregate_id for view in views]


# A named projection of the tests: the last name of each item, and every event id it applied.
projection_tables = MetaData()
item_names = Table(
    "test_item_names",
    projection_tables,
    Column("aggregate_id", String(50), primary_key=True),
    Column("n", Integer, nullable=False),
)
applied = Table("test_applied", projection_tables, Column("event_id", Uuid(), primary_key=True))
display_names = document_table("display_names", projection_tables)


class DisplayNames(DocumentProjection[Named]):
    """A named read model as a generated projection writes it: typed on_<event> methods."""

    name = "display_names"
    event_handlers = {
        ItemCreated.event_type: (ItemCreated, "on_item_created"),
        ItemRenamed.event_type: (ItemRenamed, "on_item_renamed"),
        ItemDeleted.event_type: (ItemDeleted, "on_item_deleted"),
    }

    async def on_item_created(self, conn: AsyncConnection, event: ItemCreated, stored: StoredEvent) -> None:
        await self.read_model.put(conn, stored.aggregate_id, Named(name=event.display_name), stored)

    async def on_item_renamed(self, conn: AsyncConnection, event: ItemRenamed, stored: StoredEvent) -> None:
        await self.on_item_created(conn, ItemCreated(displayName=event.display_name), stored)

    async def on_item_deleted(self, conn: AsyncConnection, event: ItemDeleted, stored: StoredEvent) -> None:
        await self.read_model.delete(conn, stored.aggregate_id)


class Exclaimed(DisplayNames):
    """Reads its document back on each rename (``get_in``), so a batch must see its own writes."""

    name = "exclaimed"

    async def on_item_renamed(self, conn: AsyncConnection, event: ItemRenamed, stored: StoredEvent) -> None:
        document = await self.read_model.get_in(conn, stored.aggregate_id)
        assert document is not None
        await self.read_model.put(conn, stored.aggregate_id, Named(name=document.name + "!"), stored)


async def record(repo: EventSourcedRepository[Item], *changes: tuple[str, DomainEvent]) -> None:
    """Record each (item id, event) on its item, new for an ``ItemCreated``, and save it."""
    for aggregate_id, change in changes:
        item = repo.new(aggregate_id) if isinstance(change, ItemCreated) else await repo.get(aggregate_id)
        item.record(change)
        await repo.save(item)


async def state_rows(store: SqlAlchemyEventStore) -> list[tuple[str, int, dict[str, object]]]:
    async with store.engine.connect() as conn:
        rows = (await conn.execute(select(states.c.aggregate_id, states.c.version, states.c.state).order_by(states.c.aggregate_id))).all()
    return [(row.aggregate_id, row.version, dict(row.state)) for row in rows]


class ItemNames:
    name = "item_names"

    def __init__(self, fail_on: int | None = None) -> None:
        self.fail_on = fail_on

    async def handle(self, conn: AsyncConnection, event: StoredEvent) -> None:
        if event.payload["n"] == self.fail_on:
            raise RuntimeError(f"projection failed on n={self.fail_on}")
        await conn.execute(applied.insert().values(event_id=event.event_id))  # a second time would violate the key
        changed = await conn.execute(
            update(item_names).where(item_names.c.aggregate_id == event.aggregate_id).values(n=event.payload["n"])
        )
        if changed.rowcount == 0:
            await conn.execute(item_names.insert().values(aggregate_id=event.aggregate_id, n=event.payload["n"]))


async def append_one_each(store: SqlAlchemyEventStore, aggregate_ids: list[str]) -> None:
    """Append event n (1, 2, …) to the n-th aggregate id of the list, at that stream's version."""
    versions: dict[str, int] = {}
    for n, aggregate_id in enumerate(aggregate_ids, start=1):
        versions[aggregate_id] = await store.append("Item", aggregate_id, versions.get(aggregate_id, 0), [event(n)])


class ReadModelContract:
    @pytest.fixture
    async def store(self, open_store: OpenStore) -> AsyncIterator[SqlAlchemyEventStore]:
        store = await open_store()
        async with store.engine.begin() as conn:
            await conn.run_sync(projection_tables.drop_all)
            await conn.run_sync(projection_tables.create_all)
        yield store

    # --- state projection -------------------------------------------------------------------

    async def test_append_writes_the_state_row_in_its_transaction(self, store: SqlAlchemyEventStore) -> None:
        read_model = StateReadModel(store.engine, "Item", Named)
        await store.append("Item", "a", 0, [event(1)], state={"name": "one"})
        view = await read_model.find("a")
        assert view is not None and (view.version, view.state) == (1, Named(name="one"))

        await store.append("Item", "a", 1, [event(2), event(3)], state={"name": "three"})
        with pytest.raises(ConcurrencyError):
            await store.append("Item", "a", 1, [event(4)], state={"name": "stale"})
        view = await read_model.find("a")
        assert view is not None and (view.version, view.state.name) == (3, "three")

        await store.append("Item", "a", 3, [event(5)], deleted=True)
        assert await read_model.find("a") is None
        assert await read_model.count() == 0

    async def test_append_without_state_leaves_the_projection_alone(self, store: SqlAlchemyEventStore) -> None:
        read_model = StateReadModel(store.engine, "Item", Named)
        await store.append("Item", "a", 0, [event(1)], state={"name": "one"})
        await store.append("Item", "a", 1, [event(2)])
        view = await read_model.find("a")
        assert view is not None and view.version == 1

    async def test_rolled_back_append_leaves_no_state_row(self, store: SqlAlchemyEventStore) -> None:
        with pytest.raises(ZeroDivisionError):
            async with store.engine.begin() as conn:
                await store.append_in(conn, "Item", "a", 0, [event(1)], state={"name": "one"})
                1 / 0  # noqa: B018
        assert await StateReadModel(store.engine, "Item", Named).find("a") is None

    async def test_pages_by_offset_and_by_keyset(self, store: SqlAlchemyEventStore) -> None:
        for aggregate_id in "gfedcba":
            await store.append("Item", aggregate_id, 0, [event(1)], state={"name": aggregate_id.upper()})
        await store.append("Order", "b2", 0, [event(1)], state={"name": "order"})
        read_model = StateReadModel(store.engine, "Item", Named)

        assert names(await read_model.list_page(limit=3)) == ["a", "b", "c"]
        assert names(await read_model.list_page(offset=5, limit=3)) == ["f", "g"]
        assert [v.state.name for v in await read_model.list_page(offset=2, limit=2)] == ["C", "D"]
        assert names(await read_model.list_after(limit=3)) == ["a", "b", "c"]
        assert names(await read_model.list_after("c", limit=3)) == ["d", "e", "f"]
        assert names(await read_model.list_after("f", limit=3)) == ["g"]
        assert await read_model.list_after("g") == []
        assert await read_model.count() == 7
        with pytest.raises(ValueError, match="limit must be positive"):
            await read_model.list_after(limit=0)
        with pytest.raises(ValueError, match="offset must not be negative"):
            await read_model.list_page(offset=-1)

    async def test_a_page_with_its_total_reads_what_count_counts(self, store: SqlAlchemyEventStore) -> None:
        read_model = StateReadModel(store.engine, "Book", Book)
        empty = await read_model.page_with_total(page_size=2)
        assert (empty.items, empty.next_page_token, empty.total) == ([], "", 0)
        for n in range(7):
            state = {"title": f"t{n}", "author": "ann" if n % 2 else "bob", "copies": n % 3}
            await store.append("Book", f"b{n}", 0, [event(n + 1)], state=state)
        await store.append("Item", "i1", 0, [event(1)], state={"name": "other kind"})

        for filters in ({}, {"author": "ann"}, {"copies": 2}, {"author": "nobody"}):
            plain = await read_model.page(page_size=2, filters=filters)
            counted = await read_model.page_with_total(page_size=2, filters=filters)
            assert (counted.items, counted.next_page_token) == (plain.items, plain.next_page_token)
            assert counted.total == await read_model.count(filters=filters)
            if counted.next_page_token:  # a later page, and a page by number, still carry the whole list's total
                later = await read_model.page_with_total(page_size=2, page_token=counted.next_page_token, filters=filters)
                assert later.total == counted.total
                assert (await read_model.page_with_total(page_size=2, page_number=2, filters=filters)).total == counted.total
        assert [(await read_model.page_with_total(filters=f)).total for f in ({}, {"author": "ann"})] == [7, 3]
        past_the_end = await read_model.page_with_total(page_size=3, page_number=9)
        assert (past_the_end.items, past_the_end.total) == ([], 7)

    async def test_aip158_pages_follow_tokens_bound_to_their_filters(self, store: SqlAlchemyEventStore) -> None:
        for n in range(7):
            author = "ann" if n % 2 else "bob"
            state = {"title": f"t{n}", "author": author, "copies": n % 3, "lendable": n < 3}
            await store.append("Book", f"b{n}", 0, [event(n + 1)], state=state)
        read_model = StateReadModel(store.engine, "Book", Book)

        first = await read_model.page(page_size=3)
        second = await read_model.page(page_size=3, page_token=first.next_page_token)
        last = await read_model.page(page_size=3, page_token=second.next_page_token)
        assert [b.title for b in first.items + second.items + last.items] == [f"t{n}" for n in range(7)]
        assert last.next_page_token == "" and first.next_page_token != second.next_page_token
        assert [b.title for b in (await read_model.page(page_size=3, page_number=3)).items] == ["t6"]
        assert len((await read_model.page()).items) == 7  # page_size 0: the default (50)

        ann = await read_model.page(page_size=2, filters={"author": "ann"})
        assert [b.title for b in ann.items] == ["t1", "t3"]
        more = await read_model.page(page_size=2, page_token=ann.next_page_token, filters={"author": "ann"})
        assert [b.title for b in more.items] == ["t5"] and more.next_page_token == ""
        assert await read_model.count(filters={"author": "ann"}) == 3
        assert await read_model.count(filters={"copies": 2}) == 2
        assert await read_model.count(filters={"lendable": True}) == 3
        assert await read_model.count(filters={"author": "", "copies": 0}) == 7  # proto3 defaults: not set

        with pytest.raises(InvalidArgumentError, match="other filters"):
            await read_model.page(page_size=2, page_token=ann.next_page_token, filters={"author": "bob"})
        with pytest.raises(InvalidArgumentError, match="not a token"):
            await read_model.page(page_token="not-a-token")
        with pytest.raises(InvalidArgumentError, match="another list"):
            await StateReadModel(store.engine, "Item", Book).page(page_token=first.next_page_token)
        with pytest.raises(InvalidArgumentError, match="negative"):
            await read_model.page(page_size=-1)
        with pytest.raises(NotFoundError, match="Book 'nope' not found"):
            await read_model.get("nope")
        assert (await read_model.get("b1")).id == "b1"

    async def test_repository_keeps_the_projection_in_step(self, store: SqlAlchemyEventStore) -> None:
        repo = EventSourcedRepository(store, Item, state_projection=True)
        read_model = StateReadModel(store.engine, "Item", ItemState)
        item = repo.new("i1")
        item.record(ItemCreated(display_name="first"))
        await repo.save(item)
        assert (await read_model.find("i1")) is not None

        item.record(ItemRenamed(display_name="second"))
        await repo.save(item)
        view = await read_model.find("i1")
        assert view is not None and (view.version, view.state) == (
            2,
            ItemState(item_id="i1", display_name="second", renames=1),
        )

        item.record(ItemDeleted())
        await repo.save(item)
        assert await read_model.find("i1") is None

    # --- named projections ------------------------------------------------------------------

    async def test_runner_applies_each_event_once_and_resumes(self, store: SqlAlchemyEventStore) -> None:
        await append_one_each(store, list("abcab"))
        runner = ProjectionRunner(store, store.engine, ItemNames(), batch_size=2)

        assert await runner.checkpoint() == 0
        assert await runner.run_until_caught_up() == 5
        assert await runner.checkpoint() == await store.max_position()
        assert await runner.run_until_caught_up() == 0

        await store.append("Item", "c", 1, [event(6)])
        restarted = ProjectionRunner(store, store.engine, ItemNames(), batch_size=2)
        assert await restarted.run_until_caught_up() == 1
        assert await self._rows(store) == ({"a": 4, "b": 5, "c": 6}, 6)

    async def test_failed_batch_rolls_back_with_its_checkpoint(self, store: SqlAlchemyEventStore) -> None:
        for n in range(1, 7):
            await store.append("Item", f"agg-{n}", 0, [event(n)])
        positions = [e.position for e in await store.read_all()]
        failing = ProjectionRunner(store, store.engine, ItemNames(fail_on=4), batch_size=2)

        with pytest.raises(RuntimeError, match="failed on n=4"):
            await failing.run_until_caught_up()

        assert await failing.checkpoint() == positions[1]  # the batch with n=3, 4 left no trace
        assert (await self._rows(store))[1] == 2
        resumed = ProjectionRunner(store, store.engine, ItemNames(), batch_size=2)
        assert await resumed.run_until_caught_up() == 4
        assert await self._rows(store) == ({f"agg-{n}": n for n in range(1, 7)}, 6)

    async def test_concurrent_runners_apply_each_event_once(
        self, store: SqlAlchemyEventStore, open_store: OpenStore
    ) -> None:
        await append_one_each(store, [f"agg-{n % 7}" for n in range(1, 31)])
        runners = []
        for _ in range(4):
            other = await open_store()
            runners.append(ProjectionRunner(other, other.engine, ItemNames(), batch_size=3))

        counts = await asyncio.gather(*(runner.run_until_caught_up() for runner in runners))

        assert sum(counts) == 30
        assert (await self._rows(store))[1] == 30
        assert await runners[0].checkpoint() == await store.max_position()

    async def test_runner_rejects_a_non_positive_batch_size(self, store: SqlAlchemyEventStore) -> None:
        with pytest.raises(ValueError, match="batch_size must be positive, got 0"):
            ProjectionRunner(store, store.engine, ItemNames(), batch_size=0)

    @staticmethod
    async def _rows(store: SqlAlchemyEventStore) -> tuple[dict[str, int], int]:
        async with store.engine.connect() as conn:
            latest = {row.aggregate_id: row.n for row in await conn.execute(select(item_names))}
            count = await conn.scalar(select(func.count()).select_from(applied))
        return latest, int(count or 0)

    # --- named read models and replay ---------------------------------------------------------

    async def test_document_read_model_fed_by_a_typed_projection(self, store: SqlAlchemyEventStore) -> None:
        repo = EventSourcedRepository(store, Item, state_projection=True)
        await record(repo, *((key, ItemCreated(displayName=f"n{n}")) for n, key in enumerate(["a", "b", "c"])))
        await record(repo, ("b", ItemRenamed(displayName="renamed")), ("c", ItemDeleted()))

        documents = DocumentReadModel(store.engine, display_names, Named)
        runner = ProjectionRunner(store, store.engine, DisplayNames(documents), batch_size=2)
        assert await runner.run_until_caught_up() == 5
        assert await documents.rows() == {"a": {"name": "n0"}, "b": {"name": "renamed"}}
        assert await documents.get("b") == Named(name="renamed")
        assert await documents.find("c") is None
        with pytest.raises(NotFoundError, match="display_names 'c' not found"):
            await documents.get("c")
        page = await documents.page(page_size=1)
        assert page.items == [Named(name="n0")]
        assert (await documents.page(page_size=1, page_token=page.next_page_token)).items == [Named(name="renamed")]

    async def test_a_batch_reads_and_writes_its_documents_in_a_few_statements(
        self, store: SqlAlchemyEventStore
    ) -> None:
        repo = EventSourcedRepository(store, Item, state_projection=True)
        await record(repo, *((key, ItemCreated(displayName=key)) for key in ["a", "b", "c", "d"]))
        await record(repo, *[("a", ItemRenamed(displayName="ignored"))] * 3, ("b", ItemDeleted()))

        documents = DocumentReadModel(store.engine, display_names, Named)
        statements: list[str] = []

        def sent(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
            statements.append(statement)

        sqlalchemy_events.listen(store.engine.sync_engine, "before_cursor_execute", sent)
        try:
            runner = ProjectionRunner(store, store.engine, Exclaimed(documents), batch_size=100)
            assert await runner.run_until_caught_up() == 8
        finally:
            sqlalchemy_events.remove(store.engine.sync_engine, "before_cursor_execute", sent)

        assert await documents.rows() == {"a": {"name": "a!!!"}, "c": {"name": "c"}, "d": {"name": "d"}}
        # One SELECT of the batch's documents, one DELETE, one upsert: not two statements per event.
        assert len([statement for statement in statements if display_names.name in statement]) == 3

    async def test_replay_rebuilds_exactly_the_live_rows(self, store: SqlAlchemyEventStore) -> None:
        repo = EventSourcedRepository(store, Item, state_projection=True)
        for aggregate_id in ["x", "y", "z"]:
            item = repo.new(aggregate_id)
            item.record(ItemCreated(displayName=aggregate_id))
            await repo.save(item)
        for name in ["y1", "y2"]:
            item = await repo.get("y")
            item.record(ItemRenamed(displayName=name))
            await repo.save(item)
        item = await repo.get("z")
        item.record(ItemDeleted())
        await repo.save(item)
        documents = DocumentReadModel(store.engine, display_names, Named)
        projection = DisplayNames(documents)
        await ProjectionRunner(store, store.engine, projection).run_until_caught_up()
        live_states, live_documents = await state_rows(store), await documents.rows()

        async with store.engine.begin() as conn:  # corrupt both read models
            await conn.execute(states.update().values(version=1, state={"item_id": "?"}))
            await conn.execute(display_names.update().values(document={"name": "?"}))
        counts = await replay(store, [StateProjection(store, {"Item": Item}), projection], progress=False)

        assert counts == {"state": 6, "display_names": 6}
        assert await state_rows(store) == live_states
        assert await documents.rows() == live_documents

        # Resuming a finished rebuild applies nothing more.
        assert await replay(store, [projection], resume=True, progress=False) == {"display_names": 0}
