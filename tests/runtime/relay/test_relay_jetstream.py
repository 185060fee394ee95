"""The outbox relay publishing to the machine's NATS JetStream, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import text

from potter_runtime.relay import (
    JetStreamPublisher,
    LockLostError,
    OutboxRelay,
    PostgresAdvisoryLock,
    PublishError,
    decode_event,
    stream_name,
)
from potter_runtime.store import NewEvent, StoredEvent
from potter_runtime.store.postgres import PostgresEventStore
from potter_runtime.store.sql import SqlAlchemyEventStore

from .support import append_events, consume_all, stored_ids, stream_message_count, wait_until

pytestmark = pytest.mark.anyio


def relay_for(store: SqlAlchemyEventStore, url: str, module: str, **options: Any) -> OutboxRelay:
    publisher = JetStreamPublisher(url, module=module, ack_timeout=5.0)
    return OutboxRelay(store, store.engine, publisher, name=stream_name(module), **options)


async def test_publishes_every_event_once_in_position_order(
    event_store: SqlAlchemyEventStore, nats_url: str, module: str
) -> None:
    await append_events(event_store, 250, aggregates=7)
    relay = relay_for(event_store, nats_url, module, batch_size=64)

    lag = await relay.lag()
    assert lag.events == 250 and lag.seconds >= 0.0
    try:
        assert await relay.run_until_caught_up() == 250
        assert await relay.run_until_caught_up() == 0
    finally:
        await relay.close()

    received = await consume_all(nats_url, module)
    assert [r.msg_id for r in received] == [str(i) for i in await stored_ids(event_store)]
    assert {r.subject for r in received} == {f"{module}.events.item.renamed"}
    events = [decode_event(r.body) for r in received]
    assert events == await event_store.read_all(limit=1000)
    # Per aggregate, versions arrive 1, 2, 3, ...
    for aggregate in {e.aggregate_id for e in events}:
        versions = [e.version for e in events if e.aggregate_id == aggregate]
        assert versions == list(range(1, len(versions) + 1))
    assert await relay.checkpoint() == await event_store.max_position()
    assert await relay.lag() == type(lag)(events=0, seconds=0.0)


async def test_republishing_from_an_old_checkpoint_adds_no_message(
    event_store: SqlAlchemyEventStore, nats_url: str, module: str
) -> None:
    await append_events(event_store, 40)
    relay = relay_for(event_store, nats_url, module, batch_size=16)
    try:
        await relay.run_until_caught_up()
        async with event_store.engine.begin() as conn:  # as if the checkpoint commits were lost
            await conn.execute(text("UPDATE projection_checkpoints SET position = 0"))
        assert await relay.run_until_caught_up() == 40
        await append_events(event_store, 5, prefix="b")
        assert await relay.run_until_caught_up() == 5
    finally:
        await relay.close()
    assert await stream_message_count(nats_url, module) == 45
    assert [r.msg_id for r in await consume_all(nats_url, module)] == [str(i) for i in await stored_ids(event_store)]


async def test_message_body_keeps_the_envelope(event_store: SqlAlchemyEventStore, nats_url: str, module: str) -> None:
    await append_events(event_store, 1)
    relay = relay_for(event_store, nats_url, module)
    try:
        await relay.run_until_caught_up()
    finally:
        await relay.close()
    [received] = await consume_all(nats_url, module)
    body = json.loads(received.body)
    [stored] = await event_store.read_all()
    assert body["eventId"] == str(stored.event_id) and body["payload"] == {"n": 0}
    assert body["aggregateType"] == "Item" and body["version"] == 1 and body["position"] == stored.position


class CountingPublisher(JetStreamPublisher):
    """Counts the events it published, to tell which relay did the work."""

    published = 0

    async def publish(self, events: Sequence[StoredEvent]) -> None:
        await super().publish(events)
        self.published += len(events)


async def test_only_one_of_two_relays_publishes(pg_store: PostgresEventStore, nats_url: str, module: str) -> None:
    name = stream_name(module)
    first_publisher = CountingPublisher(nats_url, module=module)
    second_publisher = CountingPublisher(nats_url, module=module)
    first = OutboxRelay(pg_store, pg_store.engine, first_publisher, name=name, standby_interval=0.05)
    second_store = PostgresEventStore(pg_store.engine.url.render_as_string(hide_password=False))
    second = OutboxRelay(second_store, second_store.engine, second_publisher, name=name, standby_interval=0.05)
    first_task = asyncio.create_task(first.run())
    await wait_until(lambda: _active(first), what="the first relay to take the lock")
    second_task = asyncio.create_task(second.run())
    try:
        await append_events(pg_store, 300)
        await wait_until(lambda: _caught_up(first), what="the first relay to catch up")
        assert (first_publisher.published, second_publisher.published) == (300, 0)
        with pytest.raises(LockLostError):
            await second.run_until_caught_up()

        # The leader stops: the standby takes the lock and carries on from the checkpoint.
        first.stop()
        await first_task
        await append_events(pg_store, 50, prefix="b")
        await wait_until(lambda: _caught_up(second), what="the second relay to take over")
        assert (first_publisher.published, second_publisher.published) == (300, 50)
    finally:
        first.stop()
        second.stop()
        await asyncio.gather(first_task, second_task)
        await second_store.close()
    assert [r.msg_id for r in await consume_all(nats_url, module)] == [str(i) for i in await stored_ids(pg_store)]


async def _active(relay: OutboxRelay) -> bool:
    return relay.active


async def _caught_up(relay: OutboxRelay) -> bool:
    return await relay.checkpoint() == await relay.store.max_position() > 0


async def test_advisory_lock_is_lost_with_its_connection(pg_store: PostgresEventStore) -> None:
    lock = PostgresAdvisoryLock(pg_store.engine, "relay:test")
    other = PostgresAdvisoryLock(pg_store.engine, "relay:test")
    assert await lock.try_acquire()
    assert not await other.try_acquire()
    await lock.ensure_held()

    async with pg_store.engine.connect() as conn:  # the server drops the lock's session
        await conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND pid <> pg_backend_pid()"
            )
        )
    with pytest.raises(LockLostError):
        await lock.ensure_held()
    assert await other.try_acquire()
    await other.release()
    await lock.release()


async def test_a_lost_message_stops_the_rest_of_its_batch_and_is_resent_in_order(
    event_store: SqlAlchemyEventStore, nats_url: str, module: str
) -> None:
    # Event 37 of 100 goes to a subject outside the stream, as if lost on the wire.
    # Only every 25th message asks for an acknowledgement; the chain of
    # Nats-Expected-Last-Msg-Id must still stop 38..99 from being stored.
    await append_events(event_store, 37, aggregates=1)
    await event_store.append("Item", "a0", 37, [NewEvent(event_type="item.lost", event_version=1, payload={"n": 37})])
    await append_events(event_store, 62, aggregates=1, prefix="b")
    events = await event_store.read_all()
    publisher = JetStreamPublisher(nats_url, module=module, ack_interval=25)
    relay = OutboxRelay(event_store, event_store.engine, publisher, name=stream_name(module), batch_size=100)
    original = publisher._subject

    def subject(event_type: str) -> str:
        return f"elsewhere.{module}" if event_type == "item.lost" else original(event_type)

    publisher._subject = subject  # type: ignore[method-assign]
    try:
        assert await relay.lock.try_acquire()
        await publisher.start()
        with pytest.raises(PublishError) as failure:
            await relay.run_once()
        assert failure.value.published == 25  # up to the last acknowledged message before the loss
        assert await stream_message_count(nats_url, module) == 37
        assert await relay.checkpoint() == events[24].position

        publisher._subject = original  # type: ignore[method-assign]
        assert await relay.run_once() == 75  # acknowledged one by one after a failure
        assert await relay.run_once() == 0
    finally:
        await relay.close()
    assert [r.msg_id for r in await consume_all(nats_url, module)] == [str(e.event_id) for e in events]
