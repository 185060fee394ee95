"""Async commands (potter_runtime.operations) on SQLite and PostgreSQL, in process and on JetStream.

The store's contract (claim by one worker, leases, endings), the accept →
worker → result flow through a real command bus, recovery after a restart
(pending operations swept, a dead worker's applied operation not executed
again), idempotent replay of the accepted operation, and the JetStream work
queue (redelivery of an unacknowledged operation) against the real NATS.
Lives beside the relay tests to share their database and NATS fixtures.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import ClassVar

import nats
import pytest
from nats.js.errors import NotFoundError

from potter_runtime.bus import CommandBus, DispatchContext, IdempotencyMiddleware, TimeoutMiddleware
from potter_runtime.idempotency.sql import SqlIdempotencyStore
from potter_runtime.operations import (
    AsyncCommandMiddleware,
    InProcessOperationQueue,
    JetStreamOperationQueue,
    Operation,
    OperationStatus,
    OperationWorker,
    SqlOperationStore,
    operation_idempotency_key,
)
from potter_runtime.repository import EventSourcedRepository
from potter_runtime.store.schema import operations_table
from potter_runtime.store.sql import SqlAlchemyEventStore

from ..bus_handlers import CreateItemHandler, CreateItemRequest
from ..items import Item

pytestmark = pytest.mark.anyio


class AsyncCreateItemHandler(CreateItemHandler):
    """CreateItem declared ``async: true`` (and idempotent, for the replay test)."""

    is_async: ClassVar[bool] = True
    idempotent: ClassVar[bool] = True


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def operations(event_store: SqlAlchemyEventStore) -> SqlOperationStore:
    return SqlOperationStore(event_store.engine)


@pytest.fixture
async def keys(event_store: SqlAlchemyEventStore) -> AsyncIterator[SqlIdempotencyStore]:
    keys = SqlIdempotencyStore(event_store.engine)
    yield keys
    await keys.close()  # returns its connections to the pool


def _bus(
    event_store: SqlAlchemyEventStore,
    keys: SqlIdempotencyStore,
    store: SqlOperationStore,
    queue: InProcessOperationQueue | JetStreamOperationQueue,
) -> tuple[CommandBus, AsyncCreateItemHandler]:
    bus = CommandBus(
        [
            IdempotencyMiddleware(keys),
            AsyncCommandMiddleware(store, queue),
            TimeoutMiddleware(),
        ]
    )
    handler = AsyncCreateItemHandler(EventSourcedRepository(event_store, Item))
    bus.register(handler)
    return bus, handler


async def _until_done(store: SqlOperationStore, operation_id: uuid.UUID) -> OperationStatus:
    for _ in range(1000):  # up to ~20 s
        record = await store.get(operation_id)
        assert record is not None
        if record.status.done:
            return record.status
        await asyncio.sleep(0.02)
    raise AssertionError(f"operation {operation_id} never ended")


@pytest.fixture
async def in_process_worker(
    event_store: SqlAlchemyEventStore, keys: SqlIdempotencyStore, operations: SqlOperationStore
) -> AsyncIterator[tuple[CommandBus, AsyncCreateItemHandler, OperationWorker]]:
    queue = InProcessOperationQueue()
    bus, handler = _bus(event_store, keys, operations, queue)
    worker = OperationWorker(operations, queue, bus, sweep_seconds=0.2)
    task = asyncio.create_task(worker.run())
    yield bus, handler, worker
    await queue.close()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


# --- the store's contract ------------------------------------------------------------


async def test_one_claim_wins_and_the_endings_are_recorded(operations: SqlOperationStore) -> None:
    record = await operations.create("CreateItem", {"displayName": "One"}, correlation_id="c-1")
    assert (record.status, record.attempts) == (OperationStatus.PENDING, 0)
    assert await operations.get(record.id) == record

    claims = await asyncio.gather(*(operations.claim(record.id, lease_seconds=60) for _ in range(5)))
    won = [claim for claim in claims if claim is not None]
    assert len(won) == 1 and won[0].status is OperationStatus.RUNNING and won[0].attempts == 1
    assert won[0].locked_until is not None

    await operations.succeed(record.id, {"itemId": "i-1"})
    done = await operations.get(record.id)
    assert done is not None and (done.status, done.response, done.locked_until) == (
        OperationStatus.SUCCEEDED,
        {"itemId": "i-1"},
        None,
    )
    assert await operations.claim(record.id, lease_seconds=60) is None
    assert record.id not in await operations.unfinished()

    failing = await operations.create("CreateItem", {})
    assert await operations.claim(failing.id, lease_seconds=60) is not None
    await operations.fail(
        failing.id, {"status": 422, "code": "BLANK_NAME", "title": "t", "detail": "d", "type": "about:blank"}
    )
    failed = await operations.get(failing.id)
    assert failed is not None and failed.status is OperationStatus.FAILED and failed.problem is not None
    body = Operation.of(failed)
    assert (body.name, body.done, body.error) == (f"operations/{failing.id}", True, failed.problem)
    assert await operations.get(uuid.uuid4()) is None


async def test_a_claim_whose_lease_ran_out_is_claimed_again_and_a_release_makes_it_pending(
    operations: SqlOperationStore,
) -> None:
    record = await operations.create("CreateItem", {})
    assert await operations.claim(record.id, lease_seconds=0) is not None  # its worker "died" at once
    assert record.id in await operations.unfinished()
    again = await operations.claim(record.id, lease_seconds=60)
    assert again is not None and again.attempts == 2
    assert record.id not in await operations.unfinished()  # held

    await operations.release(record.id)
    released = await operations.get(record.id)
    assert released is not None and (released.status, released.locked_until) == (OperationStatus.PENDING, None)
    assert record.id in await operations.unfinished()


# --- accept → worker → result through a command bus ------------------------------------


async def test_an_async_command_is_accepted_then_executed_by_the_worker(
    in_process_worker: tuple[CommandBus, AsyncCreateItemHandler, OperationWorker],
    operations: SqlOperationStore,
    event_store: SqlAlchemyEventStore,
) -> None:
    bus, handler, _ = in_process_worker
    reply = await bus.dispatch(
        "CreateItem", CreateItemRequest(item_id="i-1", display_name="One"), DispatchContext(correlation_id="corr-1")
    )
    accepted = reply.value
    assert isinstance(accepted, Operation) and accepted.status is OperationStatus.PENDING and not accepted.done
    assert accepted.location == f"/api/v1/operations/{accepted.id}"

    operation_id = uuid.UUID(accepted.id)
    assert await _until_done(operations, operation_id) is OperationStatus.SUCCEEDED
    record = await operations.get(operation_id)
    assert record is not None and record.response == {"item_id": "i-1", "version": 1} and record.attempts == 1
    [event] = await event_store.load("Item", "i-1")
    assert event.metadata.correlation_id == "corr-1"
    assert event.metadata.idempotency_key == operation_idempotency_key(operation_id)
    assert handler.executions == 1


async def test_a_failing_async_command_ends_failed_with_its_problem(
    in_process_worker: tuple[CommandBus, AsyncCreateItemHandler, OperationWorker], operations: SqlOperationStore
) -> None:
    bus, _, _ = in_process_worker
    accepted = (await bus.dispatch("CreateItem", CreateItemRequest(item_id="i-2"))).value
    operation_id = uuid.UUID(accepted.id)
    assert await _until_done(operations, operation_id) is OperationStatus.FAILED
    record = await operations.get(operation_id)
    assert record is not None and record.problem is not None
    assert (record.problem["status"], record.problem["code"], record.problem["retryable"]) == (422, "BLANK_NAME", False)


async def test_one_idempotency_key_answers_the_same_operation(
    in_process_worker: tuple[CommandBus, AsyncCreateItemHandler, OperationWorker], operations: SqlOperationStore
) -> None:
    bus, handler, _ = in_process_worker
    context = DispatchContext(idempotency_key=f"key-{uuid.uuid4().hex}")
    first = await bus.dispatch("CreateItem", CreateItemRequest(item_id="i-3", display_name="Three"), context)
    await _until_done(operations, uuid.UUID(first.value.id))
    again = None
    for _ in range(100):  # the first result is stored in the background
        again = await bus.dispatch("CreateItem", CreateItemRequest(item_id="i-3", display_name="Three"), context)
        if again.replayed:
            break
        await asyncio.sleep(0.02)
    assert again is not None and again.replayed and isinstance(again.value, Operation)
    assert again.value.id == first.value.id
    assert handler.executions == 1


async def test_operations_accepted_before_a_restart_are_executed_once_after_it(
    event_store: SqlAlchemyEventStore, keys: SqlIdempotencyStore, operations: SqlOperationStore
) -> None:
    # Accepted by a "process" whose in-process queue died with it.
    lost_queue = InProcessOperationQueue()
    bus, _ = _bus(event_store, keys, operations, lost_queue)
    ids = [
        uuid.UUID((await bus.dispatch("CreateItem", CreateItemRequest(item_id=f"r-{n}", display_name="R"))).value.id)
        for n in range(5)
    ]
    # One was being executed and applied when its worker died: running, lease over, events committed.
    applied = ids[0]
    assert await operations.claim(applied, lease_seconds=0) is not None
    restarted_queue = InProcessOperationQueue()
    restarted_bus, handler = _bus(event_store, keys, operations, restarted_queue)
    worker = OperationWorker(operations, restarted_queue, restarted_bus, sweep_seconds=0.2)
    from potter_runtime.operations.worker import _execution_scope

    with _execution_scope(applied):
        await restarted_bus.dispatch("CreateItem", CreateItemRequest(item_id="r-0", display_name="R"))
    assert handler.executions == 1

    task = asyncio.create_task(worker.run())
    try:
        statuses = [await _until_done(operations, operation_id) for operation_id in ids]
    finally:
        await restarted_queue.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert statuses == [OperationStatus.SUCCEEDED] * 5
    assert handler.executions == 5  # r-0 once (before the "crash"), the other four once each
    recovered = await operations.get(applied)
    assert recovered is not None and recovered.response is None and recovered.attempts == 2
    for n in range(5):
        assert len(await event_store.load("Item", f"r-{n}")) == 1


# --- the JetStream work queue -----------------------------------------------------------


@pytest.fixture
async def jetstream_module(nats_url: str) -> AsyncIterator[str]:
    name = f"t{uuid.uuid4().hex[:12]}"
    yield name
    nc = await nats.connect(nats_url, connect_timeout=2, allow_reconnect=False)
    try:
        try:
            await nc.jetstream().delete_stream(f"{name.upper()}_OPERATIONS")
        except NotFoundError:
            pass
    finally:
        await nc.close()


async def test_jetstream_queue_redelivers_an_unacknowledged_operation_and_drops_an_acknowledged_one(
    nats_url: str, jetstream_module: str
) -> None:
    queue = JetStreamOperationQueue(nats_url, module=jetstream_module, ack_wait=1.0)
    await queue.start()
    try:
        operation_id = uuid.uuid4()
        await queue.enqueue(operation_id)
        await queue.enqueue(operation_id)  # a duplicate inside the window is stored once
        deliveries = queue.deliveries()
        first = await anext(deliveries)
        assert first.operation_id == operation_id
        # Not acknowledged (its worker "died"): JetStream hands it out again after ack_wait.
        second = await anext(deliveries)
        assert second.operation_id == operation_id
        await second.ack()
        await asyncio.sleep(0.2)
        nc = await nats.connect(nats_url)
        try:
            info = await nc.jetstream().stream_info(queue.stream)
        finally:
            await nc.close()
        assert info.state.messages == 0  # work-queue retention: acknowledged means gone
        assert info.config.retention == "workqueue"
        await deliveries.aclose()
    finally:
        await queue.close()


async def test_async_commands_through_jetstream_survive_a_worker_restart(
    nats_url: str,
    jetstream_module: str,
    event_store: SqlAlchemyEventStore,
    keys: SqlIdempotencyStore,
    operations: SqlOperationStore,
) -> None:
    queue = JetStreamOperationQueue(nats_url, module=jetstream_module, ack_wait=2.0)
    await queue.start()
    bus, _ = _bus(event_store, keys, operations, queue)
    ids = [
        uuid.UUID((await bus.dispatch("CreateItem", CreateItemRequest(item_id=f"j-{n}", display_name="J"))).value.id)
        for n in range(5)
    ]
    await queue.close()  # the accepting process stops before any worker ran

    restarted = JetStreamOperationQueue(nats_url, module=jetstream_module, ack_wait=2.0)
    await restarted.start()
    restarted_bus, handler = _bus(event_store, keys, operations, restarted)
    worker = OperationWorker(operations, restarted, restarted_bus, sweep_seconds=30)
    task = asyncio.create_task(worker.run())
    try:
        statuses = [await _until_done(operations, operation_id) for operation_id in ids]
    finally:
        await restarted.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert statuses == [OperationStatus.SUCCEEDED] * 5
    assert handler.executions == 5


async def test_an_unreachable_queue_accepts_nothing(
    event_store: SqlAlchemyEventStore, keys: SqlIdempotencyStore, operations: SqlOperationStore
) -> None:
    from potter_runtime.operations import OperationQueueUnavailableError
    from tests.runtime.relay.conftest import free_port

    queue = JetStreamOperationQueue(f"nats://127.0.0.1:{free_port()}", module="nowhere", connect_timeout=0.5)
    bus, handler = _bus(event_store, keys, operations, queue)
    with pytest.raises(OperationQueueUnavailableError):
        await bus.dispatch("CreateItem", CreateItemRequest(item_id="u-1", display_name="U"))
    async with event_store.engine.connect() as conn:
        rows = (await conn.execute(operations_table.select())).all()
    assert rows == [] and handler.executions == 0
    await queue.close()


async def test_the_in_process_queue_reopens_with_the_ids_still_waiting() -> None:
    queue = InProcessOperationQueue()
    first, second = uuid.uuid4(), uuid.uuid4()
    await queue.enqueue(first)
    await queue.enqueue(first)  # waiting already: not queued twice
    await queue.close()
    await queue.start()
    await queue.enqueue(second)
    deliveries = queue.deliveries()
    received = [await anext(deliveries), await anext(deliveries)]
    assert [delivery.operation_id for delivery in received] == [first, second]
    for delivery in received:
        await delivery.ack()
    await queue.enqueue(first)  # acknowledged: may be queued again
    assert (await anext(deliveries)).operation_id == first
    await deliveries.aclose()


async def test_an_operation_held_by_a_dead_worker_is_executed_once_its_claim_runs_out(
    nats_url: str,
    jetstream_module: str,
    event_store: SqlAlchemyEventStore,
    keys: SqlIdempotencyStore,
    operations: SqlOperationStore,
) -> None:
    """The delivery of a held operation is not dropped: JetStream hands it out again after the claim's end."""
    queue = JetStreamOperationQueue(nats_url, module=jetstream_module, ack_wait=30.0)
    await queue.start()
    bus, handler = _bus(event_store, keys, operations, queue)
    accepted = (await bus.dispatch("CreateItem", CreateItemRequest(item_id="h-1", display_name="H"))).value
    operation_id = uuid.UUID(accepted.id)
    assert await operations.claim(operation_id, lease_seconds=1.5) is not None  # a worker that then died
    worker = OperationWorker(operations, queue, bus, sweep_seconds=30)
    task = asyncio.create_task(worker.run())
    try:
        assert await _until_done(operations, operation_id) is OperationStatus.SUCCEEDED
    finally:
        await queue.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    record = await operations.get(operation_id)
    assert record is not None and record.attempts == 2 and handler.executions == 1
