"""Outbox relay throughput: events/s from a seeded PostgreSQL events table to NATS JetStream.

``measure_relay()`` creates a PostgreSQL database of its own, seeds it with
``events`` events, and times ``OutboxRelay.run_until_caught_up`` from checkpoint
0 into a fresh JetStream stream, ``runs`` times (a new stream each time, so
nothing is a duplicate); it returns the median. It drops the database and
deletes the streams afterwards. Run alone: ``python tests/bench/relay_bench.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import nats
from nats.js.errors import NotFoundError
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from potter_runtime.relay import JetStreamPublisher, OutboxRelay, stream_name
from potter_runtime.store.postgres import PostgresEventStore
from potter_runtime.store.schema import events_table

POSTGRES_ADMIN_URL = os.environ.get("POTTER_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
NATS_URL = os.environ.get("POTTER_TEST_NATS_URL", "nats://127.0.0.1:4222")


def measure_relay(
    *,
    events: int = 20_000,
    runs: int = 3,
    batch_size: int = 5000,
    max_in_flight: int = 1000,
    nats_url: str = NATS_URL,
    postgres_admin_url: str = POSTGRES_ADMIN_URL,
) -> dict[str, Any]:
    """Measure the relay's throughput to JetStream; the median of ``runs`` runs.

    Args:
        events: Events seeded and published per run (int).
        runs: Timed runs (int, ≥ 1); each publishes every event into a new stream.
        batch_size: The relay's events per checkpoint move.
        max_in_flight: Most unacknowledged publishes.
        nats_url: NATS server with JetStream.
        postgres_admin_url: PostgreSQL URL of a database from which to create the benchmark's own.

    Returns:
        ``{"events": int, "runs": int, "events_per_second": float (median),
        "samples": [float, ...] (events/s per run), "seconds": [float, ...] (wall
        time per run), "cpu_seconds": [float, ...] (this process's CPU time per run),
        "batch_size": int, "max_in_flight": int}``.

    Raises:
        Exception: PostgreSQL or NATS is unreachable, or a run published fewer events than seeded.
    """
    return asyncio.run(_measure(events, runs, batch_size, max_in_flight, nats_url, postgres_admin_url))


async def _measure(
    events: int, runs: int, batch_size: int, max_in_flight: int, nats_url: str, admin_url: str
) -> dict[str, Any]:
    database = f"potter_bench_{uuid.uuid4().hex[:12]}"
    await _admin(admin_url, f'CREATE DATABASE "{database}"')
    store = PostgresEventStore(make_url(admin_url).set(database=database).render_as_string(hide_password=False))
    seconds: list[float] = []
    cpu_seconds: list[float] = []
    try:
        await store.create_schema()
        await _seed(store, events)
        for _ in range(runs):
            module = f"bench{uuid.uuid4().hex[:10]}"
            publisher = JetStreamPublisher(nats_url, module=module, max_in_flight=max_in_flight)
            relay = OutboxRelay(store, store.engine, publisher, name=stream_name(module), batch_size=batch_size)
            try:
                await publisher.start()  # connecting and creating the stream are not timed
                start, cpu_start = time.perf_counter(), time.process_time()
                published = await relay.run_until_caught_up()
                seconds.append(time.perf_counter() - start)
                cpu_seconds.append(time.process_time() - cpu_start)
            finally:
                await relay.close()
                await _delete_stream(nats_url, stream_name(module))
            if published != events:
                raise RuntimeError(f"relay published {published} of {events} events")
    finally:
        await store.close()
        await _admin(admin_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    samples = [events / s for s in seconds]
    return {
        "events": events,
        "runs": runs,
        "events_per_second": statistics.median(samples),
        "samples": samples,
        "seconds": seconds,
        # CPU time of this (the relay's) process per run: near "seconds" means Python is the bottleneck.
        "cpu_seconds": cpu_seconds,
        "batch_size": batch_size,
        "max_in_flight": max_in_flight,
    }


async def _seed(store: PostgresEventStore, count: int) -> None:
    """Insert ``count`` events of 100 aggregates straight into the table, 5,000 rows per statement."""
    now = datetime.now(UTC)
    rows = [
        {
            "event_id": uuid.uuid4(),
            "aggregate_type": "Book",
            "aggregate_id": f"book-{n % 100}",
            "version": n // 100 + 1,
            "event_type": "book.renamed",
            "event_version": 1,
            "payload": {"title": f"Title {n}", "isbn": "978-0-00-000000-0", "copies": n % 7},
            "metadata": {"commandId": str(uuid.uuid4()), "correlationId": str(uuid.uuid4())},
            "recorded_at": now,
        }
        for n in range(count)
    ]
    async with store.engine.begin() as conn:
        for start in range(0, count, 5000):
            await conn.execute(events_table.insert(), rows[start : start + 5000])


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


async def _delete_stream(url: str, name: str) -> None:
    nc = await nats.connect(url)
    try:
        await nc.jetstream().delete_stream(name)
    except NotFoundError:
        pass
    finally:
        await nc.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--max-in-flight", type=int, default=1000)
    args = parser.parse_args()
    result = measure_relay(
        events=args.events, runs=args.runs, batch_size=args.batch_size, max_in_flight=args.max_in_flight
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
