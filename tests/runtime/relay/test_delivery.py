"""``open_event_delivery``: the same subscribers fed through JetStream or the in-process bus."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from potter_runtime.relay import EventDelivery, InProcessEventBus, JetStreamPublisher, open_event_delivery
from potter_runtime.store.sql import SqlAlchemyEventStore

from .support import Recorder, append_events, processed, seen, stored_ids, wait_until

pytestmark = pytest.mark.anyio


async def test_delivery_through_jetstream(store: SqlAlchemyEventStore, nats_url: str, module: str) -> None:
    await check_delivery(store, module, nats_url)


async def test_delivery_in_process(store: SqlAlchemyEventStore) -> None:
    await check_delivery(store, "local", None)


async def check_delivery(store: SqlAlchemyEventStore, module: str, nats_url: str | None) -> None:
    first, second = Recorder("first"), Recorder("second")
    delivery = open_event_delivery(store, module=module, nats_url=nats_url, subscribers=[first, second])
    expected = JetStreamPublisher if nats_url else InProcessEventBus
    assert isinstance(delivery.publisher, expected)
    assert len(delivery.runners) == (2 if nats_url else 0)

    running = asyncio.create_task(delivery.run())
    try:
        await append_events(store, 30)
        for name in ("first", "second"):
            await wait_until(lambda name=name: _processed(store, name, 30), what=f"subscriber {name}")
        # Subscribers may see an event before the relay's checkpoint commit that follows its publication.
        await wait_until(lambda: _no_lag(delivery), what="the relay's checkpoint")
    finally:
        delivery.stop()
        await running
    ids = Counter(str(i) for i in await stored_ids(store))
    assert await seen(store.engine, "first") == ids and await seen(store.engine, "second") == ids


async def _no_lag(delivery: EventDelivery) -> bool:
    return (await delivery.lag()).events == 0


async def _processed(store: SqlAlchemyEventStore, name: str, count: int) -> bool:
    return await processed(store.engine, name) >= count


def test_subscriber_names_must_differ() -> None:
    from potter_runtime.store.sqlite import SqliteEventStore

    store = SqliteEventStore("sqlite+aiosqlite:///:memory:")
    with pytest.raises(ValueError, match="named 'twice'"):
        open_event_delivery(store, module="m", nats_url="nats://127.0.0.1:4222", subscribers=[Recorder("twice")] * 2)
    with pytest.raises(ValueError, match="already subscribed"):
        open_event_delivery(store, module="m", nats_url=None, subscribers=[Recorder("twice")] * 2)
