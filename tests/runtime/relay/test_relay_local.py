"""Relay pieces that need no broker: subjects and envelope, the local lock, lag and its gauges, retries."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from potter_runtime.relay import (
    LocalLock,
    LockLostError,
    OutboxRelay,
    PublishError,
    RelayLag,
    dead_letter_subject,
    decode_event,
    encode_event,
    events_subject,
    stream_name,
)
from potter_runtime.store import EventMetadata, NewEvent, StoredEvent
from potter_runtime.store.sqlite import SqliteEventStore

from .support import append_events

pytestmark = pytest.mark.anyio


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> SqliteEventStore:
    store = SqliteEventStore(f"sqlite+aiosqlite:///{tmp_path / 'events.db'}")
    await store.create_schema()
    return store


def test_subjects_and_stream_names() -> None:
    assert events_subject("library", "book.created") == "library.events.book.created"
    assert events_subject("library") == "library.events.>"
    assert dead_letter_subject("library", "mailer") == "library.dlq.mailer"
    assert stream_name("library") == "LIBRARY_EVENTS" and stream_name("library", "DLQ") == "LIBRARY_DLQ"
    for bad in ("book created", "book.*", "book..created", ""):
        with pytest.raises(ValueError, match="cannot be part of a NATS subject"):
            events_subject("library", bad)


async def test_envelope_round_trip(sqlite_store: SqliteEventStore) -> None:
    metadata = EventMetadata(command_id="c1", correlation_id="r1", causation_id="x1")
    event = NewEvent(event_type="book.created", event_version=3, payload={"title": "É", "n": [1, 2]}, metadata=metadata)
    await sqlite_store.append("Book", "b1", 0, [event])
    [stored] = await sqlite_store.read_all()
    assert decode_event(encode_event(stored)) == stored
    with pytest.raises(ValueError, match="not an event envelope"):
        decode_event(b'{"eventId": "x"}')
    await sqlite_store.close()


async def test_local_lock_excludes_a_second_holder() -> None:
    name = f"relay:{uuid.uuid4().hex}"
    first, second = LocalLock(name), LocalLock(name)
    assert await first.try_acquire() and await first.try_acquire()
    assert not await second.try_acquire()
    with pytest.raises(LockLostError):
        await second.ensure_held()
    await first.release()
    assert await second.try_acquire()
    await second.release()


class Recording:
    """A publisher keeping what it got; fails after ``accept`` events of the next batch if set."""

    def __init__(self) -> None:
        self.events: list[StoredEvent] = []
        self.accept: int | None = None

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def publish(self, events: Sequence[StoredEvent]) -> None:
        if self.accept is not None:
            accepted, self.accept = self.accept, None
            self.events.extend(events[:accepted])
            raise PublishError(f"accepted {accepted}", published=accepted)
        self.events.extend(events)


async def test_lag_and_its_gauges(sqlite_store: SqliteEventStore) -> None:
    name = f"lag-{uuid.uuid4().hex[:8]}"
    relay = OutboxRelay(sqlite_store, sqlite_store.engine, Recording(), name=name)
    assert await relay.lag() == RelayLag(events=0, seconds=0.0)
    await append_events(sqlite_store, 12)
    lag = await relay.lag()
    assert lag.events == 12 and lag.seconds > 0.0
    assert REGISTRY.get_sample_value("potter_outbox_lag_events", {"relay": name}) == 12
    assert REGISTRY.get_sample_value("potter_outbox_lag_seconds", {"relay": name}) == lag.seconds
    await relay.run_until_caught_up()
    assert REGISTRY.get_sample_value("potter_outbox_lag_events", {"relay": name}) == 0
    assert REGISTRY.get_sample_value("potter_events_published_total", {"relay": name}) == 12
    await relay.close()
    await sqlite_store.close()


async def test_partial_publish_moves_the_checkpoint_past_the_accepted_prefix(sqlite_store: SqliteEventStore) -> None:
    publisher = Recording()
    relay = OutboxRelay(sqlite_store, sqlite_store.engine, publisher, name=f"p-{uuid.uuid4().hex[:8]}", batch_size=10)
    await append_events(sqlite_store, 10)
    events = await sqlite_store.read_all()
    assert await relay.lock.try_acquire()
    publisher.accept = 4
    with pytest.raises(PublishError):
        await relay.run_once()
    assert await relay.checkpoint() == events[3].position
    assert await relay.run_once() == 6  # the rest, from the first unaccepted event
    assert [e.event_id for e in publisher.events] == [e.event_id for e in events]
    await relay.close()
    await sqlite_store.close()


async def test_a_relay_that_finds_its_checkpoint_moved_stops_leading(sqlite_store: SqliteEventStore) -> None:
    name = f"moved-{uuid.uuid4().hex[:8]}"
    relay = OutboxRelay(sqlite_store, sqlite_store.engine, Recording(), name=name, batch_size=5)
    await append_events(sqlite_store, 10)
    assert await relay.lock.try_acquire()
    assert await relay.run_once() == 5
    async with sqlite_store.engine.begin() as conn:  # another relay (that took over) moved it on
        await conn.execute(text("UPDATE projection_checkpoints SET position = position + 1"))
    with pytest.raises(LockLostError, match="moved by another relay"):
        await relay.run_once()
    await relay.close()
    await sqlite_store.close()


async def test_close_waits_for_a_cancelled_read_ahead(sqlite_store: SqliteEventStore) -> None:
    # A read-ahead cancelled mid-query and left unwinding while the engine is
    # disposed hung the event loop's shutdown on aiosqlite.
    relay = OutboxRelay(
        sqlite_store, sqlite_store.engine, Recording(), name=f"ahead-{uuid.uuid4().hex[:8]}", batch_size=5
    )
    await append_events(sqlite_store, 12)
    assert await relay.lock.try_acquire()
    assert await relay.run_once() == 5  # a full batch: the next one is being read ahead
    assert _pending_reads() == 1

    async with sqlite_store.engine.begin() as conn:  # another relay moved the checkpoint: the read-ahead is stale
        await conn.execute(text("UPDATE projection_checkpoints SET position = position + 1"))
    with pytest.raises(LockLostError):
        await relay.run_once()
    await relay.close()

    assert _pending_reads() == 0
    await sqlite_store.close()


def _pending_reads() -> int:
    return sum(1 for task in asyncio.all_tasks() if not task.done() and "read_all" in task.get_coro().__qualname__)
