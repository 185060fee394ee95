"""Event subscribers: through a durable JetStream consumer and through the in-process event bus.

Either way each event takes effect once per subscriber (``processed_events``),
failures are retried and, after ``max_deliver`` attempts, parked.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import nats
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from potter_runtime.relay import (
    InProcessEventBus,
    JetStreamPublisher,
    OutboxRelay,
    SubscriberRunner,
    dead_letter_subject,
    encode_event,
    events_subject,
    handle_once,
    handled_event_types,
    stream_name,
)
from potter_runtime.relay.subscribers import has_empty_body
from potter_runtime.store.port import NewEvent, StoredEvent
from potter_runtime.store.sql import SqlAlchemyEventStore

from .support import Recorder, append_events, processed, seen, stored_ids, stream_message_count, wait_until

pytestmark = pytest.mark.anyio


async def publish_all(store: SqlAlchemyEventStore, url: str, module: str) -> None:
    relay = OutboxRelay(store, store.engine, JetStreamPublisher(url, module=module), name=stream_name(module))
    try:
        await relay.run_until_caught_up()
    finally:
        await relay.close()


# -- handle_once ---------------------------------------------------------------


async def test_handle_once_skips_an_event_already_processed(store: SqlAlchemyEventStore) -> None:
    await append_events(store, 1)
    [event] = await store.read_all()
    recorder = Recorder("once")
    assert await handle_once(store.engine, recorder, event) is True
    assert await handle_once(store.engine, recorder, event) is False
    assert recorder.calls == Counter({0: 1})
    assert await seen(store.engine, "once") == Counter({str(event.event_id): 1})


async def test_handle_once_rolls_back_a_failed_handler(store: SqlAlchemyEventStore) -> None:
    await append_events(store, 1)
    [event] = await store.read_all()
    recorder = Recorder("rollback", fail={0: 1})
    with pytest.raises(RuntimeError):
        await handle_once(store.engine, recorder, event)
    assert await seen(store.engine, "rollback") == Counter() and await processed(store.engine, "rollback") == 0
    assert await handle_once(store.engine, recorder, event) is True  # the retry runs it
    assert await seen(store.engine, "rollback") == Counter({str(event.event_id): 1})


# -- JetStream -----------------------------------------------------------------


async def test_durable_consumer_handles_each_event_once_even_when_redelivered(
    store: SqlAlchemyEventStore, nats_url: str, module: str
) -> None:
    await append_events(store, 40)
    await publish_all(store, nats_url, module)
    recorder = Recorder("projector")
    runner = SubscriberRunner(store.engine, recorder, url=nats_url, module=module, fetch_timeout=0.3)
    try:
        await runner.start()
        while await runner.run_once():
            pass
        # The same events again as new messages (as after the duplicate window):
        # they are delivered, and skipped by the processed-event records.
        nc = await nats.connect(nats_url)
        try:
            for event in await store.read_all():
                await nc.jetstream().publish(events_subject(module, event.event_type), encode_event(event))
        finally:
            await nc.close()
        while await runner.run_once():
            pass
    finally:
        await runner.close()
    ids = Counter(str(i) for i in await stored_ids(store))
    assert await seen(store.engine, "projector") == ids
    assert sum(recorder.calls.values()) == 40
    assert await processed(store.engine, "projector") == 40


async def test_replicas_share_one_durable_consumer(store: SqlAlchemyEventStore, nats_url: str, module: str) -> None:
    await append_events(store, 120)
    await publish_all(store, nats_url, module)
    replicas = [
        SubscriberRunner(store.engine, Recorder("shared"), url=nats_url, module=module, fetch_batch=10)
        for _ in range(2)
    ]
    tasks = [asyncio.create_task(replica.run()) for replica in replicas]
    try:
        await wait_until(lambda: _processed_all(store.engine, "shared", 120), what="both replicas to drain")
    finally:
        for replica in replicas:
            replica.stop()
        await asyncio.gather(*tasks)
    assert await seen(store.engine, "shared") == Counter(str(i) for i in await stored_ids(store))


async def test_failing_event_is_retried_with_backoff_then_parked(
    store: SqlAlchemyEventStore, nats_url: str, module: str
) -> None:
    await append_events(store, 6)
    await publish_all(store, nats_url, module)
    # Event 2 always fails, event 4 fails once.
    recorder = Recorder("mailer", fail={2: 99, 4: 1})
    runner = SubscriberRunner(
        store.engine, recorder, url=nats_url, module=module, max_deliver=3, backoff=(0.05, 0.1), fetch_timeout=0.2
    )
    task = asyncio.create_task(runner.run())
    try:
        await wait_until(lambda: _processed_all(store.engine, "mailer", 5), what="the healthy events")
        await wait_until(lambda: _has_messages(nats_url, module, "DLQ", 1), what="the dead letter")
    finally:
        runner.stop()
        await task

    assert recorder.calls[2] == 3 and recorder.calls[4] == 2
    events = {int(e.payload["n"]): e for e in await store.read_all()}
    assert await seen(store.engine, "mailer") == Counter(str(e.event_id) for n, e in events.items() if n != 2)

    nc = await nats.connect(nats_url)
    try:
        parked = await nc.jetstream().get_last_msg(stream_name(module, "DLQ"), dead_letter_subject(module, "mailer"))
    finally:
        await nc.close()
    headers = parked.headers or {}
    assert headers["Nats-Msg-Id"] == f"{events[2].event_id}:mailer"
    assert headers["Potter-Deliveries"] == "3"
    assert headers["Potter-Subject"] == events_subject(module, "item.renamed")
    assert "handler failed on event 2" in headers["Potter-Error"]
    assert parked.data == encode_event(events[2])


async def _processed_all(engine: AsyncEngine, subscriber: str, count: int) -> bool:
    return await processed(engine, subscriber) >= count


async def _has_messages(url: str, module: str, suffix: str, count: int) -> bool:
    try:
        return await stream_message_count(url, module, suffix) >= count
    except Exception:
        return False  # the stream is created when the runner starts


# -- in-process event bus ------------------------------------------------------


async def test_in_process_bus_feeds_every_subscriber_once_from_the_relay(store: SqlAlchemyEventStore) -> None:
    await append_events(store, 50)
    first, second = Recorder("first"), Recorder("second")
    bus = InProcessEventBus(store.engine, [first, second])
    relay = OutboxRelay(store, store.engine, bus, name=f"local-{uuid.uuid4().hex[:8]}", batch_size=20)
    try:
        assert await relay.run_until_caught_up() == 50
        async with store.engine.begin() as conn:  # as if the checkpoint commits were lost
            await conn.execute(text("UPDATE projection_checkpoints SET position = 0"))
        assert await relay.run_until_caught_up() == 50
    finally:
        await relay.close()
    ids = Counter(str(i) for i in await stored_ids(store))
    assert await seen(store.engine, "first") == ids and await seen(store.engine, "second") == ids
    assert sum(first.calls.values()) == 50 and sum(second.calls.values()) == 50


async def test_in_process_bus_retries_then_parks_without_blocking_the_others(store: SqlAlchemyEventStore) -> None:
    await append_events(store, 5)
    failing, healthy = Recorder("failing", fail={1: 99, 3: 1}), Recorder("healthy")
    bus = InProcessEventBus(store.engine, [failing, healthy], max_deliver=3, backoff=(0.0,))
    relay = OutboxRelay(store, store.engine, bus, name=f"local-{uuid.uuid4().hex[:8]}")
    try:
        assert await relay.run_until_caught_up() == 5
    finally:
        await relay.close()
    assert failing.calls[1] == 3 and failing.calls[3] == 2
    [dead] = bus.dead_letters
    assert (dead.subscriber, dead.event.payload, dead.attempts) == ("failing", {"n": 1}, 3)
    assert "handler failed on event 1" in dead.error
    assert await processed(store.engine, "failing") == 4 and await processed(store.engine, "healthy") == 5


def test_in_process_bus_rejects_bad_or_repeated_subscriber_names() -> None:
    engine = object()
    with pytest.raises(ValueError, match="must match"):
        InProcessEventBus(engine, [Recorder("has.dot")])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="already subscribed"):
        InProcessEventBus(engine, [Recorder("twice"), Recorder("twice")])  # type: ignore[arg-type]


class Picky(Recorder):
    """A Recorder that names the event types it handles."""

    event_types = frozenset({"item.renamed"})


async def _append_mixed(store: SqlAlchemyEventStore) -> None:
    """Three `item.renamed` events, then two of a type `Picky` does not handle."""
    await append_events(store, 3)
    for n in range(2):
        event = NewEvent(event_type="order.placed", event_version=1, payload={"n": 100 + n})
        await store.append("Order", f"o{n}", 0, [event])


async def test_in_process_bus_hands_a_subscriber_only_its_event_types(store: SqlAlchemyEventStore) -> None:
    await _append_mixed(store)
    picky, everything = Picky("picky"), Recorder("everything")
    relay = OutboxRelay(store, store.engine, InProcessEventBus(store.engine, [picky, everything]), name="mixed")
    try:
        assert await relay.run_until_caught_up() == 5
    finally:
        await relay.close()
    assert sorted(picky.calls) == [0, 1, 2] and sorted(everything.calls) == [0, 1, 2, 100, 101]
    # The other types cost no transaction: no processed-event record either.
    assert await processed(store.engine, "picky") == 3 and await processed(store.engine, "everything") == 5


async def test_durable_consumer_acks_other_event_types_without_handling_them(
    store: SqlAlchemyEventStore, nats_url: str, module: str
) -> None:
    await _append_mixed(store)
    await publish_all(store, nats_url, module)
    picky = Picky("picky")
    runner = SubscriberRunner(store.engine, picky, url=nats_url, module=module, fetch_timeout=0.3)
    try:
        await runner.start()
        while await runner.run_once():
            pass
        while await runner.run_once():  # nothing is redelivered: the skipped ones were acked
            pass
    finally:
        await runner.close()
    assert sorted(picky.calls) == [0, 1, 2]
    assert await processed(store.engine, "picky") == 3


class Scaffolded:
    """A generated subscriber base and its scaffold: one method written, one still only its docstring."""

    name = "scaffolded"
    event_handlers = {"item.renamed": (object, "on_item_renamed"), "order.placed": (object, "on_order_placed")}

    def __init__(self) -> None:
        self.calls: list[int] = []

    @property
    def event_types(self) -> frozenset[str]:
        return handled_event_types(self, self.event_handlers)

    async def handle(self, conn: object, event: StoredEvent) -> None:
        await getattr(self, self.event_handlers[event.event_type][1])(conn, event)

    async def on_item_renamed(self, conn: object, event: StoredEvent) -> None:
        self.calls.append(event.payload["n"])

    async def on_order_placed(self, conn: object, event: StoredEvent) -> None:
        """React to OrderPlaced: nothing yet."""


async def test_a_method_that_is_only_its_docstring_gets_no_event_and_no_record(store: SqlAlchemyEventStore) -> None:
    await _append_mixed(store)
    subscriber = Scaffolded()
    relay = OutboxRelay(store, store.engine, InProcessEventBus(store.engine, [subscriber]), name="scaffold")
    try:
        assert await relay.run_until_caught_up() == 5
    finally:
        await relay.close()
    assert sorted(subscriber.calls) == [0, 1, 2]
    assert await processed(store.engine, "scaffolded") == 3  # the two order.placed cost nothing


def test_empty_bodies_are_told_from_written_ones() -> None:
    async def docstring_only(self: object, conn: object, event: object, stored: object) -> None:
        """Nothing yet."""

    async def ellipsis(self: object) -> None: ...

    async def written(self: object) -> None:
        print("reacts")

    assert has_empty_body(docstring_only) and has_empty_body(ellipsis)
    assert not has_empty_body(written) and not has_empty_body(Scaffolded().on_item_renamed)
    assert has_empty_body(Scaffolded().on_order_placed)
    assert handled_event_types(Scaffolded(), Scaffolded.event_handlers) == {"item.renamed"}
