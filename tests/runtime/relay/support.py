"""Helpers of the relay tests: appending events, reading a stream back, waiting for a condition."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import nats
from nats.js.api import AckPolicy, ConsumerConfig

from potter_runtime.relay import events_subject, stream_name
from potter_runtime.store import NewEvent
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
