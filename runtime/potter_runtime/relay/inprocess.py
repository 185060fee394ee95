"""The in-process event bus: the relay's publisher when ``NATS_URL`` is unset.

It takes the place of JetStream behind the same ``OutboxRelay`` (same events
table, same checkpoint, same lock), and delivers each event to every
subscriber with the same rules as ``SubscriberRunner``: one transaction per
event and subscriber with a ``processed_events`` record, a growing delay
between attempts, and after ``max_deliver`` failed attempts the event is parked
— here logged at ERROR level and kept in ``dead_letters`` (this process's
memory only: the embedded setup has no broker to hold them).
A batch is accepted once every subscriber has handled or parked each event,
so the checkpoint never passes an event a subscriber has not seen.
This module must not read the event store.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from potter_runtime.relay import metrics
from potter_runtime.relay.subscribers import (
    DEFAULT_BACKOFF,
    Subscriber,
    check_subscriber_name,
    handle_once,
    retry_delay,
    subscribes_to,
)
from potter_runtime.store.port import StoredEvent

logger = logging.getLogger("potter_runtime.relay")


@dataclass(frozen=True)
class DeadLetter:
    """An event a subscriber failed to handle ``attempts`` times.

    Attributes:
        subscriber: The subscriber's name.
        event: The event.
        attempts: Attempts made (int).
        error: The last error, as ``"Type: message"``.
    """

    subscriber: str
    event: StoredEvent
    attempts: int
    error: str


class InProcessEventBus:
    """``EventPublisher`` that hands events straight to subscribers in this process.

    Args:
        engine: Engine of the database holding ``processed_events`` and the subscribers' tables.
        subscribers: The subscribers; more can be added with ``subscribe``.
        max_deliver: Attempts per event and subscriber before it is parked (int, ≥ 1).
        backoff: Delays before the 2nd, 3rd, … attempt (seconds).

    Raises:
        ValueError: A subscriber name is invalid or repeated, or ``max_deliver`` < 1.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        subscribers: Iterable[Subscriber] = (),
        *,
        max_deliver: int = 5,
        backoff: Sequence[float] = DEFAULT_BACKOFF,
    ) -> None:
        if max_deliver < 1:
            raise ValueError(f"max_deliver must be at least 1, got {max_deliver}")
        self.engine = engine
        self.max_deliver = max_deliver
        self.backoff = tuple(backoff)
        self.subscribers: list[Subscriber] = []
        self.dead_letters: list[DeadLetter] = []
        for subscriber in subscribers:
            self.subscribe(subscriber)

    def subscribe(self, subscriber: Subscriber) -> None:
        """Add a subscriber; it receives every event published from now on.

        Raises:
            ValueError: Its name is invalid or already taken.
        """
        check_subscriber_name(subscriber.name)
        if any(existing.name == subscriber.name for existing in self.subscribers):
            raise ValueError(f"a subscriber named {subscriber.name!r} is already subscribed")
        self.subscribers.append(subscriber)

    async def start(self) -> None:
        """Nothing to connect."""

    async def close(self) -> None:
        """Nothing to release."""

    async def publish(self, events: Sequence[StoredEvent]) -> None:
        """Deliver each event, in order, to every subscriber (retrying, then parking).

        Raises:
            Exception: Only what the database raised outside a handler is not
                caught; handler failures are retried and parked.
        """
        for event in events:
            for subscriber in self.subscribers:
                if subscribes_to(subscriber, event.event_type):
                    await self._deliver(subscriber, event)

    async def _deliver(self, subscriber: Subscriber, event: StoredEvent) -> None:
        for attempt in range(1, self.max_deliver + 1):
            try:
                handled = await handle_once(self.engine, subscriber, event)
            except Exception as exc:
                if attempt == self.max_deliver:
                    logger.exception(
                        "subscriber %s: event %s failed %d times; parked", subscriber.name, event.event_id, attempt
                    )
                    self.dead_letters.append(
                        DeadLetter(subscriber.name, event, attempt, f"{type(exc).__name__}: {exc}")
                    )
                    metrics.EVENTS_HANDLED.labels(subscriber.name, "dead_lettered").inc()
                    return
                logger.warning(
                    "subscriber %s: event %s failed (attempt %d): %s", subscriber.name, event.event_id, attempt, exc
                )
                metrics.EVENTS_HANDLED.labels(subscriber.name, "retried").inc()
                await asyncio.sleep(retry_delay(self.backoff, attempt))
                continue
            metrics.EVENTS_HANDLED.labels(subscriber.name, "handled" if handled else "duplicate").inc()
            return
