"""Helpers of the relay tests: appending events, reading a stream back, waiting for a condition."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import nats
from nats.js.api import AckPolicy, ConsumerConfig
from sqlalchemy import Column, MetaData, String, Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from potter_runtime.relay import events_subject, stream_name
from potter_runtime.store import NewEvent, StoredEvent
from potter_runtime.store.schema import processed_events_table
from potter_runtime.store.sql import SqlAlchemyEventStore


async def append_events(store: SqlAlchemyEventStore, count: int, *, aggregates: int = 5, prefix: str = "a") -> None:
    """Append ``count`` events round-robin over ``aggregates`` streams (each append one event)."""
    versions = dict.fromkeys(range(aggregates), 0)
    for n in range(count):
        key = n % aggregates
        event = NewEvent(event_type="item.renamed", event_version=1, payload={"n": n})
        versions[key] = await store.append("Item", f"{prefix}{key}", versions[key], [event])


async def stored_ids(store: SqlAlchemyEventStore) -> list[uuid.UUID]:
    """Return every stored event id in position order."""
    return [event.event_id for event in await store.read_all(limit=1_000_000)]


@dataclass(frozen=True)
class Received:
    subject: str
    msg_id: str
    body: bytes
    stream_sequence: int


async def consume_all(url: str, module: str, *, durable: str = "checker", idle: float = 1.0) -> list[Received]:
    """Read every message of the module's events stream through a durable pull consumer, acking each.

    Stops once a fetch waits ``idle`` seconds without a message.
    """
    nc = await nats.connect(url, connect_timeout=2)
    try:
        js = nc.jetstream()
        subscription = await js.pull_subscribe(
            events_subject(module),
            durable=durable,
            stream=stream_name(module),
            config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT),
        )
        received: list[Received] = []
        while True:
            try:
                messages = await subscription.fetch(500, timeout=idle)
            except TimeoutError:  # nats-py raises its subclass or asyncio's
                return received
            for message in messages:
                received.append(
                    Received(
                        subject=message.subject,
                        msg_id=(message.headers or {}).get("Nats-Msg-Id", ""),
                        body=message.data,
                        stream_sequence=message.metadata.sequence.stream,
                    )
                )
                await message.ack()
    finally:
        await nc.close()


async def stream_message_count(url: str, module: str, suffix: str = "EVENTS") -> int:
    nc = await nats.connect(url, connect_timeout=2)
    try:
        info = await nc.jetstream().stream_info(stream_name(module, suffix))
        return int(info.state.messages)
    finally:
        await nc.close()


async def wait_until(
    condition: Callable[[], Awaitable[bool]], *, timeout: float = 60.0, what: str = "condition"
) -> None:
    """Poll ``condition`` every 50 ms; fail the test if it is still false after ``timeout`` seconds.

    The timeout only keeps a broken run from hanging; no test asserts a speed.
    """
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what} after {timeout} s")
        await asyncio.sleep(0.05)


seen_metadata = MetaData()
seen_events = Table(
    "seen_events",
    seen_metadata,
    Column("subscriber", String(200), nullable=False),
    Column("event_id", String(64), nullable=False),
)


class Recorder:
    """A subscriber writing one row per event it handles; fails on chosen events a number of times."""

    def __init__(self, name: str, *, fail: dict[int, int] | None = None) -> None:
        self.name = name
        self.fail = dict(fail or {})  # payload n → failures still to raise
        self.calls: Counter[int] = Counter()

    async def handle(self, conn: AsyncConnection, event: StoredEvent) -> None:
        n = int(event.payload["n"])
        self.calls[n] += 1
        await conn.execute(seen_events.insert().values(subscriber=self.name, event_id=str(event.event_id)))
        if self.fail.get(n, 0) > 0:
            self.fail[n] -= 1
            raise RuntimeError(f"handler failed on event {n}")


async def seen(engine: AsyncEngine, subscriber: str) -> Counter[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(seen_events.c.event_id).where(seen_events.c.subscriber == subscriber))
        return Counter(row.event_id for row in rows)


async def processed(engine: AsyncEngine, subscriber: str) -> int:
    query = select(func.count()).where(processed_events_table.c.subscriber == subscriber)
    async with engine.connect() as conn:
        return int(await conn.scalar(query) or 0)
