"""Idempotent commands (draft-ietf-httpapi-idempotency-key-header) on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from potter_runtime.bus import CommandBus, DispatchContext, IdempotencyMiddleware, TimeoutMiddleware
from potter_runtime.errors import (
    DeadlineExceededError,
    DomainError,
    IdempotencyKeyInUseError,
    IdempotencyKeyMismatchError,
    InvalidArgumentError,
)
from potter_runtime.idempotency import SqlIdempotencyStore, request_fingerprint
from potter_runtime.repository import EventSourcedRepository
from potter_runtime.store import EventMetadata, NewEvent, SqlAlchemyEventStore, open_event_store
from potter_runtime.store.driver import driver_connection
from potter_runtime.store.schema import idempotency_keys_table

from .bus_handlers import CreateItemRequest, IdempotentCreateItemHandler, TimedCreateItemHandler
from .items import Item

pytestmark = pytest.mark.anyio

RPC = "CreateItemOnce"


def _key() -> DispatchContext:
    return DispatchContext(idempotency_key=f"key-{uuid.uuid4()}")


@pytest.fixture
async def keys(sql_store: SqlAlchemyEventStore) -> AsyncIterator[SqlIdempotencyStore]:
    idempotency_store = SqlIdempotencyStore(sql_store.engine)
    yield idempotency_store
    await idempotency_store.close()


def _bus(
    sql_store: SqlAlchemyEventStore, keys: SqlIdempotencyStore, **options: float
) -> tuple[CommandBus, IdempotentCreateItemHandler]:
    bus = CommandBus([IdempotencyMiddleware(keys, **options), TimeoutMiddleware()])
    handler = IdempotentCreateItemHandler(EventSourcedRepository(sql_store, Item))
    bus.register(handler)
    return bus, handler


async def test_twenty_concurrent_requests_with_one_key_execute_once_and_get_one_answer(
    sql_store: SqlAlchemyEventStore, keys: SqlIdempotencyStore
) -> None:
    bus, handler = _bus(sql_store, keys)
    handler.delay_seconds = 0.05  # the first is still running when the others arrive
    context = _key()
    request = CreateItemRequest(display_name="Once")  # no id: each execution would create a new item

    replies = await asyncio.gather(*(bus.dispatch(RPC, request.model_copy(), context) for _ in range(20)))

    assert handler.executions == 1
    assert len({reply.value.item_id for reply in replies}) == 1
    assert all(reply.value == replies[0].value for reply in replies)
    assert sorted(reply.replayed for reply in replies) == [False] + [True] * 19
    assert len(await sql_store.load("Item", replies[0].value.item_id)) == 1


async def test_a_key_reused_with_another_request_is_refused(
    sql_store: SqlAlchemyEventStore, keys: SqlIdempotencyStore
) -> None:
    bus, handler = _bus(sql_store, keys)
    context = _key()
    await bus.dispatch(RPC, CreateItemRequest(display_name="First"), context)

    with pytest.raises(IdempotencyKeyMismatchError) as caught:
        await bus.dispatch(RPC, CreateItemRequest(display_name="Second"), context)

    assert (caught.value.status, caught.value.code) == (422, "IDEMPOTENCY_KEY_MISMATCH")
    assert handler.executions == 1


async def test_a_duplicate_while_the_first_runs_gets_409_then_the_replay(
    sql_store: SqlAlchemyEventStore, keys: SqlIdempotencyStore
) -> None:
    bus, handler = _bus(sql_store, keys, wait_seconds=0.2)
    handler.gate = asyncio.Event()
    context = _key()
    request = CreateItemRequest(display_name="Slow")
    first = asyncio.create_task(bus.dispatch(RPC, request, context))
    while handler.executions == 0:
        await asyncio.sleep(0.01)

    with pytest.raises(IdempotencyKeyInUseError) as caught:
        await bus.dispatch(RPC, request, context)
    assert (caught.value.status, caught.value.code) == (409, "IDEMPOTENCY_KEY_IN_USE")

    handler.gate.set()
    original = await first
    replay = await bus.dispatch(RPC, request, context)
    assert replay.value == original.value and replay.replayed and not original.replayed
    assert handler.executions == 1


async def test_a_final_error_is_stored_and_replayed(sql_store: SqlAlchemyEventStore, keys: SqlIdempotencyStore) -> None:
    bus, handler = _bus(sql_store, keys)
    context = _key()
    request = CreateItemRequest(display_name="")

    with pytest.raises(DomainError) as first:
        await bus.dispatch(RPC, request, context)
    with pytest.raises(DomainError) as replay:
        await bus.dispatch(RPC, request, context)

    assert handler.executions == 1
    assert not first.value.replayed and replay.value.replayed
    assert (replay.value.status, replay.value.code, replay.value.detail, replay.value.retryable) == (
        422,
        "BLANK_NAME",
        "display_name must not be blank",
        False,
    )


async def test_a_deadline_that_stored_nothing_releases_the_key_for_a_retry(
    sql_store: SqlAlchemyEventStore, keys: SqlIdempotencyStore
) -> None:
    class Timed(IdempotentCreateItemHandler):
        rpc_name = "TimedOnce"
        timeout_seconds = 0.2

    bus = CommandBus([IdempotencyMiddleware(keys), TimeoutMiddleware()])
    handler = Timed(EventSourcedRepository(sql_store, Item))
    bus.register(handler)
    handler.gate = asyncio.Event()
    context = _key()
    request = CreateItemRequest(display_name="Late")

    with pytest.raises(DeadlineExceededError):
        await bus.dispatch("TimedOnce", request, context)
    handler.gate.set()
    retry = await bus.dispatch("TimedOnce", request, context)

    assert handler.executions == 2 and not retry.replayed
    assert (await bus.dispatch("TimedOnce", request, context)).value == retry.value


async def test_an_expired_key_executes_again_and_is_purged(
    sql_store: SqlAlchemyEventStore, keys: SqlIdempotencyStore
) -> None:
    bus, handler = _bus(sql_store, keys)
    context = _key()
    request = CreateItemRequest(display_name="Old")
    first = await bus.dispatch(RPC, request, context)
    await bus.aclose()  # results are stored after answering
    record = await keys.get(str(context.idempotency_key))
    assert record is not None and record.result is not None
    assert timedelta(hours=23, minutes=59) < record.expires_at - record.created_at <= timedelta(hours=24)

    await _expire(sql_store, str(context.idempotency_key))
    second = await bus.dispatch(RPC, request, context)

    assert handler.executions == 2 and not second.replayed and second.value.item_id != first.value.item_id
    await _expire(sql_store, str(context.idempotency_key))
    assert await keys.purge_expired() >= 1
    assert await keys.get(str(context.idempotency_key)) is None


async def _expire(sql_store: SqlAlchemyEventStore, key: str) -> None:
    async with sql_store.engine.begin() as conn:
        await conn.execute(
            update(idempotency_keys_table)
            .where(idempotency_keys_table.c.key == key)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )


async def test_a_claim_whose_lock_ran_out_is_taken_over(keys: SqlIdempotencyStore) -> None:
    key = f"key-{uuid.uuid4()}"

    assert await keys.claim(key, RPC, "f" * 64, lock_seconds=0) is None  # its process "died"
    assert await keys.claim(key, RPC, "f" * 64, lock_seconds=60) is None  # taken over
    held = await keys.claim(key, RPC, "f" * 64, lock_seconds=60)
    assert held is not None and held.in_flight


async def test_requests_without_a_key_always_execute(
    sql_store: SqlAlchemyEventStore, keys: SqlIdempotencyStore
) -> None:
    bus, handler = _bus(sql_store, keys)
    request = CreateItemRequest(display_name="Free")

    await bus.dispatch(RPC, request)
    await bus.dispatch(RPC, request)

    assert handler.executions == 2


async def test_an_oversized_key_is_an_invalid_argument(store: SqlAlchemyEventStore) -> None:
    keys = SqlIdempotencyStore(store.engine)
    bus, _handler = _bus(store, keys)

    with pytest.raises(InvalidArgumentError, match="1 to 255"):
        await bus.dispatch(RPC, CreateItemRequest(display_name="x"), DispatchContext(idempotency_key="k" * 256))
    await keys.close()


def test_the_fingerprint_is_canonical_json_of_rpc_and_request() -> None:
    a = CreateItemRequest(item_id="1", display_name="A")
    b = CreateItemRequest.model_validate({"display_name": "A", "item_id": "1"})

    assert request_fingerprint("CreateItem", a) == request_fingerprint("CreateItem", b)
    assert request_fingerprint("CreateItem", a) != request_fingerprint("RenameItem", a)
    assert request_fingerprint("X", {"b": 1, "a": [1, 2]}) == request_fingerprint("X", {"a": [1, 2], "b": 1})


async def test_events_carry_the_key_and_a_cancelled_append_releases_it(
    sql_store: SqlAlchemyEventStore, keys: SqlIdempotencyStore
) -> None:
    class SlowOnce(TimedCreateItemHandler):
        rpc_name = "SlowOnce"
        idempotent = True

    bus, _handler = _bus(sql_store, keys)
    bus.register(SlowOnce(sql_store))
    done, cut_short = _key(), _key()

    reply = await bus.dispatch(RPC, CreateItemRequest(display_name="Applied"), done)
    with pytest.raises(DeadlineExceededError):
        await bus.dispatch("SlowOnce", CreateItemRequest(item_id=f"s-{uuid.uuid4()}", display_name="x"), cut_short)
    await bus.aclose()

    [event] = await sql_store.load("Item", reply.value.item_id)
    assert event.metadata.idempotency_key == done.idempotency_key
    stored = await keys.get(str(done.idempotency_key))
    assert stored is not None and stored.result is not None
    assert await keys.get(str(cut_short.idempotency_key)) is None


async def test_an_applied_request_whose_answer_was_lost_never_runs_again(
    sql_store: SqlAlchemyEventStore, keys: SqlIdempotencyStore
) -> None:
    bus, handler = _bus(sql_store, keys, wait_seconds=0.1)
    context = _key()
    request = CreateItemRequest(display_name="Lost")
    key = str(context.idempotency_key)
    # A process that claimed the key and committed the events, then died before storing the answer.
    assert await keys.claim(key, RPC, request_fingerprint(RPC, request), lock_seconds=0) is None
    event = NewEvent("item.created", 1, {"displayName": "Lost"}, metadata=EventMetadata(idempotency_key=key))
    await sql_store.append("Item", f"lost-{uuid.uuid4()}", 0, [event])

    with pytest.raises(IdempotencyKeyInUseError, match="applied, but its answer was lost"):
        await bus.dispatch(RPC, request, context)
    assert handler.executions == 0


async def test_a_dead_claim_that_stored_no_event_is_taken_over(
    sql_store: SqlAlchemyEventStore, keys: SqlIdempotencyStore
) -> None:
    bus, handler = _bus(sql_store, keys)
    context = _key()
    request = CreateItemRequest(display_name="Retried")
    assert (
        await keys.claim(str(context.idempotency_key), RPC, request_fingerprint(RPC, request), lock_seconds=0) is None
    )

    reply = await bus.dispatch(RPC, request, context)

    assert handler.executions == 1 and not reply.replayed


async def test_a_caller_gone_during_the_claim_does_not_hold_the_key(
    sql_store: SqlAlchemyEventStore, keys: SqlIdempotencyStore
) -> None:
    # The claim's INSERT is held up until the caller has gone; it then wins the key,
    # and the store must release it rather than hold it for the lock's 300 s.
    claiming, proceed, inserted = asyncio.Event(), asyncio.Event(), asyncio.Event()

    class SlowClaims(SqlIdempotencyStore):
        async def _claim_one(self, claim: dict[str, Any]) -> bool:
            claiming.set()
            await proceed.wait()
            won = await super()._claim_one(claim)
            inserted.set()
            return won

        async def _claim_batch(self, claims: Sequence[dict[str, Any]]) -> list[bool]:
            claiming.set()
            await proceed.wait()
            won = await super()._claim_batch(claims)
            inserted.set()
            return won

    slow = SlowClaims(sql_store.engine)
    bus = CommandBus([IdempotencyMiddleware(slow)])
    bus.register(IdempotentCreateItemHandler(EventSourcedRepository(sql_store, Item)))
    context = _key()
    task = asyncio.create_task(bus.dispatch(RPC, CreateItemRequest(display_name="Gone"), context))
    await claiming.wait()

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    proceed.set()
    await inserted.wait()  # the claim won the key for nobody
    for _ in range(3):  # its future completes; its callback starts the release
        await asyncio.sleep(0)
    await slow.close()  # waits for the release under way

    assert await keys.get(str(context.idempotency_key)) is None


async def test_complete_later_returns_a_future_done_once_the_answer_is_stored(keys: SqlIdempotencyStore) -> None:
    name = f"key-{uuid.uuid4()}"
    assert await keys.claim(name, RPC, "f" * 64, lock_seconds=60) is None

    stored = keys.complete_later(name, {"ok": True, "value": {"id": "later"}})
    assert isinstance(stored, asyncio.Future)
    await stored

    record = await keys.get(name)
    assert record is not None and record.result == {"ok": True, "value": {"id": "later"}}


async def test_concurrent_answers_share_a_statement_and_one_the_database_refuses_fails_alone(
    keys: SqlIdempotencyStore,
) -> None:
    names = [f"key-{uuid.uuid4()}" for _ in range(3)]
    claims = await asyncio.gather(*(keys.claim(name, RPC, "f" * 64, lock_seconds=60) for name in names))
    assert claims == [None, None, None]  # each its own claim, sent together

    # PostgreSQL's jsonb has no U+0000: that answer cannot be stored, the other two are.
    answers = [{"ok": True, "value": {"id": "a"}}, {"ok": True, "value": {"id": "\u0000"}}, {"ok": True}]
    done = await asyncio.gather(
        *(keys.complete(name, answer) for name, answer in zip(names, answers, strict=True)), return_exceptions=True
    )

    stored = [await keys.get(name) for name in names]
    assert stored[0] is not None and stored[0].result == answers[0]
    assert stored[2] is not None and stored[2].result == answers[2]
    if keys.engine.dialect.name == "postgresql":
        assert isinstance(done[1], Exception) and stored[1] is not None and stored[1].result is None
    else:
        assert done == [None, None, None] and stored[1] is not None and stored[1].result == answers[1]


async def test_stored_answers_find_their_keys_by_index_once_the_table_has_grown(fresh_postgres_url: str) -> None:
    # PostgreSQL caches a generic plan of a prepared statement after five runs. One made
    # while idempotency_keys was small hash-joined the whole table for every batch of
    # answers long after it had grown (make bench-service: idempotent create 1.49x).
    store = open_event_store(fresh_postgres_url)
    await store.create_schema()
    keys = SqlIdempotencyStore(store.engine)
    try:
        engine, sql = keys._own_engine, keys._complete_batch_sql.sql
        assert engine is not None
        async with driver_connection(engine, sql) as driver:
            for n in range(8):  # on a nearly empty table
                await driver.execute(sql, [f"k{n}"], ['{"ok": true}'])
            await driver.execute(
                "INSERT INTO idempotency_keys SELECT 'k' || g, 'r', 'f', NULL, now(), now(), now() "
                "FROM generate_series(1, 20000) AS g"
            )
            name = await driver.fetchval("SELECT name FROM pg_prepared_statements WHERE statement = $1", sql)
            plan = "\n".join(
                row[0] for row in await driver.fetch(f"""EXPLAIN EXECUTE {name}('{{k1}}', '{{"{{}}"}}')""")
            )
        assert "Index" in plan and "Seq Scan" not in plan, plan
    finally:
        await keys.close()
        await store.close()


async def test_claims_whose_held_connection_the_server_closed_still_succeed(fresh_postgres_url: str) -> None:
    # The claims' batches keep one connection checked out (HeldDriverConnection). When the
    # server ends it, that batch's claims are retried one by one, and the next batch reconnects.
    store = open_event_store(fresh_postgres_url)
    await store.create_schema()
    keys = SqlIdempotencyStore(store.engine)
    try:
        assert await keys.claim("first", RPC, "f" * 64, lock_seconds=60) is None
        async with store.engine.connect() as conn:
            driver = (await conn.get_raw_connection()).driver_connection
            assert driver is not None
            await driver.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        names = [f"key-{n}" for n in range(3)]
        claims = await asyncio.gather(*(keys.claim(name, RPC, "f" * 64, lock_seconds=60) for name in names))
        assert claims == [None, None, None]
        assert await keys.claim("after", RPC, "f" * 64, lock_seconds=60) is None
        assert all([await keys.get(name) for name in ["first", *names, "after"]])
    finally:
        await keys.close()
        await store.close()


async def test_close_stores_the_answers_still_waiting_to_be_sent(sql_store: SqlAlchemyEventStore) -> None:
    # An answer lingers up to 25 ms to share a statement (PostgreSQL); SQLite writes it in a task.
    # Closing the store meanwhile must store it, not run it later on a disposed pool.
    keys = SqlIdempotencyStore(sql_store.engine)
    assert await keys.claim("late", RPC, "f" * 64, lock_seconds=60) is None
    stored = keys.complete_later("late", {"ok": True})
    await keys.close()
    assert stored.done() and stored.exception() is None
    record = await keys.get("late")
    assert record is not None and record.result == {"ok": True}
