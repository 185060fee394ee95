"""The relay under faults: the broker stopped mid-run, and a relay killed between publish and checkpoint.

Both run against a nats-server the test starts itself (own port and store
directory) and stops afterwards, whatever the outcome.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from potter_runtime.relay import FAILPOINT_ENV, JetStreamPublisher, OutboxRelay, stream_name
from potter_runtime.store.sql import SqlAlchemyEventStore

from .conftest import PrivateNats, delete_streams
from .support import append_events, consume_all, stored_ids, stream_message_count, wait_until

pytestmark = pytest.mark.anyio

RELAY_PROCESS = Path(__file__).with_name("relay_process.py")


async def test_broker_outage_loses_and_duplicates_nothing(
    event_store: SqlAlchemyEventStore, private_nats: PrivateNats, caplog: pytest.LogCaptureFixture
) -> None:
    module = "outage"
    private_nats.start()
    publisher = JetStreamPublisher(private_nats.url, module=module, ack_timeout=1.0)
    relay = OutboxRelay(
        event_store, event_store.engine, publisher, name=stream_name(module), batch_size=50, retry_max=0.5
    )
    running = asyncio.create_task(relay.run())
    try:
        await append_events(event_store, 150, aggregates=10)
        await wait_until(lambda: _published_some(relay), what="the relay to publish before the outage")

        private_nats.stop()  # the broker goes away while appends keep coming
        await append_events(event_store, 200, aggregates=10, prefix="b")
        # A batch in flight at the stop may still record the prefix the broker had
        # acknowledged: read the checkpoint once a batch has failed against the stopped broker.
        await wait_until(lambda: _failed_an_attempt(caplog), what="a batch to fail while the broker is down")
        checkpoint_during_outage = await relay.checkpoint()
        await asyncio.sleep(1.5)  # let the relay fail and back off again
        assert await relay.checkpoint() == checkpoint_during_outage < await event_store.max_position()

        private_nats.start()  # same port, same store directory
        await append_events(event_store, 150, aggregates=10, prefix="c")
        await wait_until(lambda: _caught_up(relay), timeout=120, what="the relay to catch up after the outage")
    finally:
        relay.stop()
        await running

    ids = [str(i) for i in await stored_ids(event_store)]
    assert len(ids) == 500
    received = await consume_all(private_nats.url, module)
    assert Counter(r.msg_id for r in received) == Counter(ids)  # each event exactly once
    assert [r.msg_id for r in received] == ids  # and in position order
    await delete_streams(private_nats.url, module)


async def test_crash_between_publish_and_checkpoint_republishes_without_duplicates(
    event_store: SqlAlchemyEventStore, database_url: str, private_nats: PrivateNats
) -> None:
    module = "crash"
    private_nats.start()
    await append_events(event_store, 300, aggregates=4)

    env = os.environ | {FAILPOINT_ENV: "before_checkpoint"}
    process = subprocess.Popen(
        [sys.executable, str(RELAY_PROCESS), database_url, private_nats.url, module, "100"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        line = await asyncio.to_thread(_read_until, process.stderr, "potter-relay failpoint before_checkpoint")
        assert "failpoint" in line, f"relay process ended without reaching the failpoint: {line!r}"
        process.kill()  # SIGKILL: no cleanup, no checkpoint commit
        process.wait()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    # The first batch reached the stream, but the checkpoint never moved.
    assert await stream_message_count(private_nats.url, module) == 100
    publisher = JetStreamPublisher(private_nats.url, module=module)
    relay = OutboxRelay(event_store, event_store.engine, publisher, name=stream_name(module), batch_size=100)
    assert await relay.checkpoint() == 0
    try:
        # PostgreSQL frees the killed session's advisory lock once it notices the dropped connection.
        await wait_until(lambda: relay.lock.try_acquire(), what="the killed relay's lock to be released")
        assert await relay.run_until_caught_up() == 300  # the first 100 again: duplicates for the broker
    finally:
        await relay.close()

    ids = [str(i) for i in await stored_ids(event_store)]
    assert await stream_message_count(private_nats.url, module) == 300
    received = await consume_all(private_nats.url, module)
    assert [r.msg_id for r in received] == ids  # each once, in order
    await delete_streams(private_nats.url, module)


def _read_until(stream: object, marker: str) -> str:
    """Return the first stderr line holding ``marker``, or the last line read when the stream ends."""
    last = ""
    for line in stream:  # type: ignore[attr-defined]
        last = line
        if marker in line:
            return str(line)
    return last


async def _failed_an_attempt(caplog: pytest.LogCaptureFixture) -> bool:
    return any("attempt" in record.getMessage() and "failed" in record.getMessage() for record in caplog.records)


async def _published_some(relay: OutboxRelay) -> bool:
    return await relay.checkpoint() > 0


async def _caught_up(relay: OutboxRelay) -> bool:
    return await relay.checkpoint() == await relay.store.max_position()


async def test_relay_started_before_the_broker_waits_for_it_and_stops_cleanly(
    pg_store: SqlAlchemyEventStore, private_nats: PrivateNats
) -> None:
    module = "late"
    publisher = JetStreamPublisher(private_nats.url, module=module, ack_timeout=1.0)
    relay = OutboxRelay(pg_store, pg_store.engine, publisher, name=stream_name(module), retry_max=0.5)
    running = asyncio.create_task(relay.run())
    try:
        await append_events(pg_store, 20)
        await asyncio.sleep(1.0)  # the relay tries to connect and backs off
        assert await relay.checkpoint() == 0
        private_nats.start()
        await wait_until(lambda: _caught_up(relay), what="the relay to publish once the broker is up")
        private_nats.stop()
        await append_events(pg_store, 5, prefix="b")
    finally:
        relay.stop()
        # A relay that cannot reach NATS still returns after stop (the guard only avoids a hang).
        await asyncio.wait_for(running, timeout=30)
    assert not relay.active
    private_nats.start()
    assert [r.msg_id for r in await consume_all(private_nats.url, module)] == [
        str(i) for i in (await stored_ids(pg_store))[:20]
    ]
    await delete_streams(private_nats.url, module)
