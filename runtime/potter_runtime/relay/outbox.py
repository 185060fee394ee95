"""The outbox relay: events table, by ``position``, from a stored checkpoint → a publisher.

The events table is the outbox (the transactional outbox pattern): an append
commits its events with the aggregate's state, and this relay publishes them
afterwards, at least once, in position order (so in each aggregate's order),
then moves its checkpoint — a row ``relay:<name>`` of ``projection_checkpoints``
— to the last event the publisher accepted. A crash between publishing and the
checkpoint's commit republishes those events; consumers drop the copies (JetStream's
``Nats-Msg-Id`` duplicate window, the ``processed_events`` records).

One relay per outbox is active across replicas (``RelayLock``); the others wait
for the lock. While the publisher fails (NATS down), the relay retries the same
batch with exponential backoff and jitter (tenacity) and never skips an event.

Failpoint for crash tests: with ``POTTER_RELAY_FAILPOINT=before_checkpoint`` the
relay writes ``potter-relay failpoint before_checkpoint`` to stderr after a batch
was published and then hangs before moving its checkpoint, waiting to be killed.

This module must not know about NATS (``jetstream.py``) or subscribers.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, wait_exponential, wait_random

from potter_runtime.relay import metrics
from potter_runtime.relay.lock import LockLostError, RelayLock, relay_lock_for
from potter_runtime.store.port import EventStore, StoredEvent
from potter_runtime.store.schema import projection_checkpoints_table as checkpoints

logger = logging.getLogger("potter_runtime.relay")

FAILPOINT_ENV = "POTTER_RELAY_FAILPOINT"
"""Environment variable naming a failpoint; ``before_checkpoint`` is the only one."""


class PublishError(RuntimeError):
    """Publishing a batch failed after its first ``published`` events were accepted.

    Attributes:
        published: How many events from the start of the batch the broker
            accepted (int, ≥ 0); the relay moves its checkpoint past them.
    """

    def __init__(self, message: str, *, published: int) -> None:
        super().__init__(message)
        self.published = published


class EventPublisher(Protocol):
    """Where the relay sends events: JetStream (``JetStreamPublisher``) or ``InProcessEventBus``."""

    async def start(self) -> None:
        """Connect and prepare (e.g. create the stream); called again after a failure.

        Raises:
            Exception: The broker is unreachable; the relay retries with backoff.
        """
        ...

    async def publish(self, events: Sequence[StoredEvent]) -> None:
        """Publish events in the given order; return once every one was accepted.

        Raises:
            PublishError: Only the first ``published`` events were accepted.
        """
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


@dataclass(frozen=True)
class RelayLag:
    """How far the relay is behind the event store.

    Attributes:
        events: Events stored after the checkpoint (int; max position minus
            checkpoint, an upper bound since rolled-back appends leave gaps).
        seconds: Age of the oldest unpublished event (float seconds; 0.0 when caught up).
    """

    events: int
    seconds: float


class OutboxRelay:
    """Publishes the events table to a publisher from a stored checkpoint.

    Args:
        store: Event store, read by position.
        engine: Engine of the database holding the events and the checkpoint.
        publisher: Where events go.
        name: Relay name (≤ 190 characters), e.g. the stream name; keys the
            checkpoint ``relay:<name>``, the lock and the metrics label.
        lock: Leadership lock; default ``relay_lock_for(engine, "relay:<name>")``
            (PostgreSQL advisory lock, or a process-local lock on SQLite).
        batch_size: Most events read and published per checkpoint move (int,
            > 0); large batches spread the wait for the batch's last
            acknowledgement and the checkpoint's commit over more events.
        poll_interval: Pause when caught up before reading again (seconds).
        standby_interval: Pause between attempts to take the lock held by
            another relay (seconds).
        retry_initial: First backoff delay after a failure (seconds).
        retry_max: Longest backoff delay (seconds).

    Raises:
        ValueError: ``batch_size`` is not positive.
    """

    def __init__(
        self,
        store: EventStore,
        engine: AsyncEngine,
        publisher: EventPublisher,
        *,
        name: str,
        lock: RelayLock | None = None,
        batch_size: int = 5000,
        poll_interval: float = 0.1,
        standby_interval: float = 2.0,
        retry_initial: float = 0.1,
        retry_max: float = 5.0,
    ) -> None:
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.store = store
        self.engine = engine
        self.publisher = publisher
        self.name = name
        self.checkpoint_name = f"relay:{name}"
        self.lock = lock if lock is not None else relay_lock_for(engine, self.checkpoint_name)
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.standby_interval = standby_interval
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self.active = False
        """True while this relay holds the lock and publishes (for readiness and tests)."""
        self._stopping = asyncio.Event()
        self._started = False
        self._last_lag_report = 0.0
        # While leading: the checkpoint as last written, and the batch being read ahead.
        self._position: int | None = None
        self._prefetch: tuple[int, asyncio.Task[list[StoredEvent]]] | None = None
        # Cancelled read-aheads still unwinding; ``close`` waits for them (see ``_discard``).
        self._discarded: set[asyncio.Task[list[StoredEvent]]] = set()
        # Exponential backoff with jitter, so replicas retrying together spread out.
        self._wait = wait_exponential(multiplier=retry_initial, max=retry_max) + wait_random(0, retry_initial)

    # -- checkpoint and lag -------------------------------------------------

    async def checkpoint(self) -> int:
        """Return the position of the last event published (0 before any)."""
        query = select(checkpoints.c.position).where(checkpoints.c.name == self.checkpoint_name)
        async with self.engine.connect() as conn:
            return int(await conn.scalar(query) or 0)

    async def lag(self) -> RelayLag:
        """Return how far the relay is behind, and set the lag gauges.

        Returns:
            ``RelayLag(events, seconds)``; see ``RelayLag``.
        """
        position = await self.checkpoint()
        newest = await self.store.max_position()
        oldest = await self.store.read_all(after_position=position, limit=1)
        seconds = 0.0
        if oldest:
            seconds = max(0.0, (datetime.now(UTC) - oldest[0].recorded_at).total_seconds())
        lag = RelayLag(events=max(0, newest - position), seconds=seconds)
        metrics.OUTBOX_LAG_EVENTS.labels(self.name).set(lag.events)
        metrics.OUTBOX_LAG_SECONDS.labels(self.name).set(lag.seconds)
        return lag

    # -- one batch ----------------------------------------------------------

    async def run_once(self) -> int:
        """Publish the next batch after the checkpoint and move the checkpoint past it.

        The caller must hold the lock (``run`` does); it is checked first.

        Returns:
            How many events were published (0 when caught up).

        Raises:
            LockLostError: The lock is gone, or another relay moved the checkpoint.
            PublishError: Part of the batch was not accepted; the checkpoint
                moved past the accepted part (the rest is retried).
            Exception: The publisher or database failed; nothing moved.
        """
        await self.lock.ensure_held()
        try:
            return await self._publish_next()
        except BaseException:
            self._forget_reads()  # reread the checkpoint and the events next time
            raise

    async def _publish_next(self) -> int:
        start = self._position if self._position is not None else await self._ensure_checkpoint()
        events = await self._read_batch(start)
        if not events:
            self._position = None  # caught up: read the row next time, in case an operator moved it
            return 0
        if len(events) == self.batch_size:
            # Read the next batch while this one is published: the database and
            # the broker then work at the same time.
            after = events[-1].position
            self._prefetch = (
                after,
                asyncio.create_task(self.store.read_all(after_position=after, limit=self.batch_size)),
            )
        try:
            await self.publisher.publish(events)
        except PublishError as exc:
            if exc.published > 0:
                await self._move_checkpoint(start, events[exc.published - 1].position)
                metrics.EVENTS_PUBLISHED.labels(self.name).inc(exc.published)
            raise
        if os.environ.get(FAILPOINT_ENV) == "before_checkpoint":
            await _hang_at_failpoint("before_checkpoint")
        await self._move_checkpoint(start, events[-1].position)
        metrics.EVENTS_PUBLISHED.labels(self.name).inc(len(events))
        return len(events)

    async def _read_batch(self, start: int) -> list[StoredEvent]:
        """Return the events after ``start``: the prefetched batch if it starts there, else a fresh read."""
        prefetch, self._prefetch = self._prefetch, None
        if prefetch is not None:
            after, task = prefetch
            if after == start:
                return await task
            self._discard(task)
        return await self.store.read_all(after_position=start, limit=self.batch_size)

    def _forget_reads(self) -> None:
        self._position = None
        if self._prefetch is not None:
            self._discard(self._prefetch[1])
            self._prefetch = None

    def _discard(self, task: asyncio.Task[list[StoredEvent]]) -> None:
        """Cancel a read-ahead no longer wanted; ``close`` waits until it has unwound.

        A query cancelled mid-flight must finish unwinding before its engine
        is disposed: on aiosqlite (0.22, with SQLAlchemy 2.1) a connection
        closed meanwhile leaves a task that never ends, and the event loop
        then never closes.
        """
        if task.done():
            if not task.cancelled():
                task.exception()  # retrieved, so asyncio does not log it
            return
        task.cancel()
        self._discarded.add(task)
        task.add_done_callback(self._discarded.discard)

    async def run_until_caught_up(self) -> int:
        """Take the lock, publish until no event is left after the checkpoint, keep the lock.

        For tests, benchmarks and one-shot catch-up; does not retry on failure.

        Returns:
            How many events were published (int).

        Raises:
            LockLostError: Another relay holds the lock.
            PublishError: The publisher failed part-way.
        """
        if not await self.lock.try_acquire():
            raise LockLostError(f"relay lock {self.checkpoint_name!r} is held by another relay")
        if not self._started:
            await self.publisher.start()
            self._started = True
        published = 0
        while (count := await self.run_once()) > 0:
            published += count
        await self.lag()
        return published

    # -- the long-running loop ----------------------------------------------

    async def run(self) -> None:
        """Relay events until ``stop`` is called: wait for the lock, publish, retry with backoff.

        Failures (database or broker down) are logged and retried with
        exponential backoff and jitter from ``retry_initial`` to ``retry_max``;
        a lost lock sends the relay back to standby. Returns after ``stop``;
        a stopped relay does not run again (make a new one).
        """
        try:
            while not self._stopping.is_set():
                if not await self._take_lock():
                    await self._pause(self.standby_interval)
                    continue
                self.active = True
                metrics.RELAY_ACTIVE.labels(self.name).set(1)
                logger.info("relay %s: lock taken, publishing", self.name)
                try:
                    await self._lead()
                except LockLostError as exc:
                    logger.warning("relay %s: %s; back to standby", self.name, exc)
                except Exception:  # not expected (``_lead`` retries failures); never end the loop for it
                    logger.exception("relay %s: unexpected failure; back to standby", self.name)
                    await self._pause(self.retry_max)
                finally:
                    self.active = False
                    metrics.RELAY_ACTIVE.labels(self.name).set(0)
                    self._forget_reads()
                    await self.lock.release()
        finally:
            await self.close()

    def stop(self) -> None:
        """Ask ``run`` to return after the current batch (or at once when waiting)."""
        self._stopping.set()

    async def close(self) -> None:
        """Release the lock and the publisher's connections, once every read-ahead has ended."""
        self._forget_reads()
        await asyncio.gather(*self._discarded, return_exceptions=True)
        await self.lock.release()
        if self._started:
            self._started = False
            await self.publisher.close()

    async def _take_lock(self) -> bool:
        try:
            return await self.lock.try_acquire()
        except Exception as exc:  # database down: stay in standby and try again
            logger.warning("relay %s: cannot take the lock: %s", self.name, exc)
            return False

    async def _lead(self) -> None:
        """Publish while holding the lock; raises ``LockLostError`` when leadership ends."""
        while not self._stopping.is_set():
            # A new retry state per batch: backoff grows while one batch keeps failing.
            retrying = AsyncRetrying(
                wait=self._wait,
                retry=retry_if_exception(lambda exc: not isinstance(exc, LockLostError)),
                stop=lambda _state: self._stopping.is_set(),
                sleep=self._pause,
                before_sleep=self._log_retry,
                reraise=True,
            )
            try:
                async for attempt in retrying:
                    with attempt:
                        if not self._started:
                            await self.publisher.start()
                            self._started = True
                        count = await self.run_once()
            except LockLostError:
                raise
            except Exception:
                if self._stopping.is_set():
                    return
                raise
            await self._report_lag(caught_up=count == 0)
            if count == 0:
                await self._pause(self.poll_interval)

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        if not isinstance(exc, PublishError):
            # The connection may be unusable: reconnect before the next attempt.
            self._started = False
        delay = state.next_action.sleep if state.next_action is not None else 0.0
        logger.warning(
            "relay %s: attempt %d failed (%s: %s); retrying in %.2f s",
            self.name,
            state.attempt_number,
            type(exc).__name__,
            exc,
            delay,
        )

    async def _report_lag(self, *, caught_up: bool) -> None:
        # At most once a second: lag costs three queries.
        now = time.monotonic()
        if caught_up or now - self._last_lag_report >= 1.0:
            self._last_lag_report = now
            try:
                await self.lag()
            except Exception as exc:
                logger.warning("relay %s: cannot measure lag: %s", self.name, exc)

    async def _pause(self, seconds: float) -> None:
        """Sleep ``seconds``, waking early when ``stop`` is called."""
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            pass

    # -- checkpoint row -----------------------------------------------------

    async def _ensure_checkpoint(self) -> int:
        """Return the checkpoint, creating it at 0 for a relay that never ran."""
        async with self.engine.connect() as conn:
            position = await conn.scalar(
                select(checkpoints.c.position).where(checkpoints.c.name == self.checkpoint_name)
            )
        if position is not None:
            return int(position)
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    checkpoints.insert().values(name=self.checkpoint_name, position=0, updated_at=datetime.now(UTC))
                )
        except IntegrityError:
            pass  # created meanwhile by a relay that lost the lock since
        return await self.checkpoint()

    async def _move_checkpoint(self, start: int, position: int) -> None:
        """Move the checkpoint from ``start`` to ``position`` by compare-and-set.

        Raises:
            LockLostError: The checkpoint is no longer at ``start``: another
                relay published meanwhile, so this one is not the leader.
        """
        async with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # No wait for the WAL flush: a checkpoint lost in a database crash
                # only republishes events, which consumers drop as duplicates.
                await conn.execute(text("SET LOCAL synchronous_commit = off"))
            moved = await conn.execute(
                update(checkpoints)
                .where(checkpoints.c.name == self.checkpoint_name, checkpoints.c.position == start)
                .values(position=position, updated_at=datetime.now(UTC))
            )
        if moved.rowcount != 1:
            raise LockLostError(f"checkpoint {self.checkpoint_name!r} was moved by another relay")
        self._position = position


async def _hang_at_failpoint(name: str) -> None:
    sys.stderr.write(f"potter-relay failpoint {name}\n")
    sys.stderr.flush()
    while True:  # until killed: the crash under test happens here
        await asyncio.sleep(3600)
