"""The buses: registration, middleware chains, dispatch context; the timeout middleware on real stores."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from potter_runtime.bus import (
    CallNext,
    CommandBus,
    Dispatch,
    DispatchContext,
    QueryBus,
    Registration,
    Reply,
    TimeoutMiddleware,
    current_context,
)
from potter_runtime.errors import DeadlineExceededError, NotImplementedRpcError
from potter_runtime.repository import EventSourcedRepository
from potter_runtime.store import SqlAlchemyEventStore, open_event_store

from .bus_handlers import (
    CreateItemHandler,
    CreateItemRequest,
    CreateItemResponse,
    GetItemHandler,
    TimedCreateItemHandler,
)
from .items import Item

pytestmark = pytest.mark.anyio


class Trace:
    """Middleware that records the order it ran in and what it saw."""

    def __init__(self, name: str, log: list[str], only: str | None = None) -> None:
        self.name, self.log, self.only = name, log, only

    def applies_to(self, registration: Registration) -> bool:
        return self.only is None or registration.rpc == self.only

    async def __call__(self, dispatch: Dispatch, call_next: CallNext) -> Reply[Any]:
        self.log.append(f"{self.name}>")
        reply = await call_next(dispatch)
        self.log.append(f"<{self.name}")
        return reply


async def test_dispatch_runs_the_chain_outermost_first_and_skips_middleware_that_does_not_apply(
    store: SqlAlchemyEventStore,
) -> None:
    log: list[str] = []
    bus = CommandBus([Trace("a", log), Trace("b", log, only="Other"), Trace("c", log)])
    handler = CreateItemHandler(EventSourcedRepository(store, Item))
    bus.register(handler)

    reply = await bus.dispatch("CreateItem", CreateItemRequest(item_id="i-1", display_name="One"))

    assert reply == Reply(CreateItemResponse(item_id="i-1", version=1))
    assert log == ["a>", "c>", "<c", "<a"]


async def test_registration_reads_the_handlers_options_and_response_type(store: SqlAlchemyEventStore) -> None:
    repository = EventSourcedRepository(store, Item)
    commands, queries = CommandBus(), QueryBus()

    command = commands.register(CreateItemHandler(repository))
    query = queries.register(GetItemHandler(repository))

    assert (command.kind, command.response_type, command.aggregate_type) == ("command", CreateItemResponse, "Item")
    assert (query.kind, query.cacheable, query.cache_ttl_seconds) == ("query", True, 60)
    assert set(commands.registrations) == {"CreateItem"}
    with pytest.raises(ValueError, match="already registered"):
        commands.register(CreateItemHandler(repository))
    with pytest.raises(TypeError, match="other bus"):
        commands.register(GetItemHandler(repository))


async def test_an_unregistered_rpc_is_not_implemented() -> None:
    with pytest.raises(NotImplementedRpcError, match="Nope is not implemented"):
        await CommandBus().dispatch("Nope", CreateItemRequest())


async def test_events_carry_the_dispatch_contexts_ids(store: SqlAlchemyEventStore) -> None:
    context = DispatchContext(command_id="cmd-1", correlation_id="trace-9")
    seen: list[DispatchContext | None] = []

    class Spy(Trace):
        async def __call__(self, dispatch: Dispatch, call_next: CallNext) -> Reply[Any]:
            seen.append(current_context())
            return await call_next(dispatch)

    bus = CommandBus([Spy("spy", [])])
    bus.register(CreateItemHandler(EventSourcedRepository(store, Item)))
    await bus.dispatch("CreateItem", CreateItemRequest(item_id="i-2", display_name="Two"), context)

    [event] = await store.load("Item", "i-2")
    assert (event.metadata.command_id, event.metadata.correlation_id, event.metadata.causation_id) == (
        "cmd-1",
        "trace-9",
        "cmd-1",
    )
    assert seen == [context]
    assert current_context() is None


def test_a_context_without_a_correlation_id_uses_its_command_id() -> None:
    context = DispatchContext(metadata={"x-tenant": "a"})

    assert context.correlation_id == context.command_id and len(context.command_id) == 32
    assert context.metadata["x-tenant"] == "a"
    with pytest.raises(TypeError):
        context.metadata["x-tenant"] = "b"  # type: ignore[index]


async def test_a_handler_slower_than_its_timeout_is_cancelled_and_its_append_rolled_back(
    sql_store: SqlAlchemyEventStore,
) -> None:
    bus = CommandBus([TimeoutMiddleware()])
    handler = TimedCreateItemHandler(sql_store)
    bus.register(handler)
    item_id = f"slow-{uuid.uuid4().hex}"

    with pytest.raises(DeadlineExceededError, match="deadline of 0.3 seconds") as caught:
        await bus.dispatch("CreateItemSlowly", CreateItemRequest(item_id=item_id, display_name="Slow"))

    assert handler.appended.is_set()  # the events were written, then rolled back
    assert caught.value.status == 504 and caught.value.rpc_code == "DEADLINE_EXCEEDED"
    assert await sql_store.load("Item", item_id) == []
    # The store is still usable: the cancelled transaction released its lock and connection.
    repository = EventSourcedRepository(sql_store, Item)
    bus.register(CreateItemHandler(repository))
    reply = await bus.dispatch("CreateItem", CreateItemRequest(item_id=item_id, display_name="Again"))
    assert reply.value.version == 1


async def test_a_timeout_while_waiting_for_the_append_lock_stores_nothing(postgres_url: str) -> None:
    event_store = open_event_store(postgres_url)
    await event_store.create_schema()
    blocker = create_async_engine(postgres_url)
    handler = CreateItemHandler(EventSourcedRepository(event_store, Item))
    bus = CommandBus([TimeoutMiddleware()])
    bus.register(handler)
    item_id = f"blocked-{uuid.uuid4().hex}"
    try:
        async with blocker.connect() as conn:
            transaction = await conn.begin()
            await conn.execute(text("LOCK TABLE events IN EXCLUSIVE MODE"))
            # CreateItem has no timeout of its own: the caller's deadline bounds it.
            deadline = DispatchContext(deadline=time.time() + 0.3)
            with pytest.raises(DeadlineExceededError):
                await bus.dispatch("CreateItem", CreateItemRequest(item_id=item_id, display_name="B"), deadline)
            await transaction.rollback()
        assert await event_store.load("Item", item_id) == []
        reply = await bus.dispatch("CreateItem", CreateItemRequest(item_id=item_id, display_name="B"))
        assert reply.value.version == 1
    finally:
        await blocker.dispose()
        await event_store.close()


async def test_a_caller_deadline_already_past_fails_before_the_handler_runs(store: SqlAlchemyEventStore) -> None:
    bus = CommandBus([TimeoutMiddleware()])
    handler = CreateItemHandler(EventSourcedRepository(store, Item))
    bus.register(handler)

    with pytest.raises(DeadlineExceededError, match="had passed"):
        await bus.dispatch("CreateItem", CreateItemRequest(display_name="x"), DispatchContext(deadline=time.time() - 1))
    assert handler.executions == 0


async def test_a_timeout_error_raised_by_the_handler_itself_is_not_a_deadline(store: SqlAlchemyEventStore) -> None:
    class Flaky(CreateItemHandler):
        rpc_name = "Flaky"
        timeout_seconds = 5

        async def handle(self, request: CreateItemRequest) -> CreateItemResponse:
            raise TimeoutError("upstream timed out")

    bus = CommandBus([TimeoutMiddleware()])
    bus.register(Flaky(EventSourcedRepository(store, Item)))

    with pytest.raises(TimeoutError, match="upstream"):
        await bus.dispatch("Flaky", CreateItemRequest())


async def test_build_service_buses_wires_every_option(store: SqlAlchemyEventStore, redis_url: str) -> None:
    from potter_runtime.bus import build_service_buses

    from .bus_handlers import GetItemRequest, IdempotentCreateItemHandler

    buses = build_service_buses(store.engine, redis_url=redis_url, cache_prefix=f"potter-test-{uuid.uuid4().hex}:")
    repository = EventSourcedRepository(store, Item)
    buses.commands.register(IdempotentCreateItemHandler(repository))
    buses.queries.register(GetItemHandler(repository))
    keyed = DispatchContext(idempotency_key=f"k-{uuid.uuid4()}")
    try:
        first = await buses.commands.dispatch("CreateItemOnce", CreateItemRequest(display_name="Wired"), keyed)
        replay = await buses.commands.dispatch("CreateItemOnce", CreateItemRequest(display_name="Wired"), keyed)
        query = GetItemRequest(item_id=first.value.item_id)
        miss, hit = [await buses.queries.dispatch("GetItem", query) for _ in range(2)]
    finally:
        await buses.aclose()

    assert replay.replayed and replay.value == first.value
    assert (miss.cache_hit, hit.cache_hit) == (False, True)
    assert b'potter_commands_total{outcome="OK",rpc="CreateItemOnce"} 2.0' in buses.metrics.render()[0]
