"""Event delivery for one service: the relay and its subscribers, chosen by whether NATS is configured.

``open_event_delivery`` is what a generated bootstrap calls: with a NATS URL,
the relay publishes to JetStream and each subscriber consumes through its own
durable consumer (``SubscriberRunner``); without one, the relay feeds the
in-process event bus that calls the subscribers directly. Either way the
same events table, checkpoint and once-per-subscriber records are used.
This module only composes; it must not hold delivery logic of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from potter_runtime.relay.envelope import stream_name
from potter_runtime.relay.inprocess import InProcessEventBus
from potter_runtime.relay.jetstream import JetStreamPublisher
from potter_runtime.relay.outbox import EventPublisher, OutboxRelay, RelayLag
from potter_runtime.relay.subscribers import DEFAULT_BACKOFF, Subscriber, SubscriberRunner
from potter_runtime.store.sql import SqlAlchemyEventStore


@dataclass
class EventDelivery:
    """The running parts of event delivery.

    Attributes:
        relay: The outbox relay.
        publisher: JetStream publisher, or the in-process bus.
        runners: One JetStream consumer runner per subscriber (empty without NATS).
    """

    relay: OutboxRelay
    publisher: EventPublisher
    runners: list[SubscriberRunner] = field(default_factory=list)

    async def run(self) -> None:
        """Run the relay and every subscriber runner until ``stop``; each retries its own failures."""
        await asyncio.gather(self.relay.run(), *(runner.run() for runner in self.runners))

    def stop(self) -> None:
        """Ask the relay and the runners to return."""
        self.relay.stop()
        for runner in self.runners:
            runner.stop()

    async def lag(self) -> RelayLag:
        """Return the relay's lag (events and seconds); see ``OutboxRelay.lag``."""
        return await self.relay.lag()


def open_event_delivery(
    store: SqlAlchemyEventStore,
    *,
    module: str,
    nats_url: str | None,
    subscribers: Sequence[Subscriber] = (),
    batch_size: int = 5000,
    max_deliver: int = 5,
    backoff: Sequence[float] = DEFAULT_BACKOFF,
    ack_wait: float = 30.0,
    duplicate_window: float = 120.0,
) -> EventDelivery:
    """Compose the relay and the subscribers of a service (nothing connects until ``run``).

    Args:
        store: The service's event store; its engine also holds checkpoints and
            ``processed_events``.
        module: The service's package name: subjects ``<module>.events.<event_type>``,
            stream ``<MODULE>_EVENTS``, dead letters ``<module>.dlq.<subscriber>``.
        nats_url: NATS server URL(s) (env ``NATS_URL``); None or empty → in-process bus.
        subscribers: The service's event subscribers.
        batch_size: Events per relay batch (int, > 0).
        max_deliver: Attempts per event and subscriber before it is parked (int, ≥ 1).
        backoff: Delays between attempts (seconds; the last repeats).
        ack_wait: JetStream redelivery timeout of an unacknowledged event (seconds).
        duplicate_window: JetStream deduplication window of the stream (seconds).

    Returns:
        An ``EventDelivery``; run it as a background task and ``stop`` it on shutdown.

    Raises:
        ValueError: ``module`` cannot be part of a subject, or a subscriber name is invalid or repeated.
    """
    publisher: EventPublisher
    runners: list[SubscriberRunner] = []
    if nats_url:
        publisher = JetStreamPublisher(nats_url, module=module, duplicate_window=duplicate_window)
        names: set[str] = set()
        for subscriber in subscribers:
            if subscriber.name in names:
                raise ValueError(f"two subscribers are named {subscriber.name!r}")
            names.add(subscriber.name)
            runners.append(
                SubscriberRunner(
                    store.engine,
                    subscriber,
                    url=nats_url,
                    module=module,
                    max_deliver=max_deliver,
                    backoff=backoff,
                    ack_wait=ack_wait,
                )
            )
    else:
        publisher = InProcessEventBus(store.engine, subscribers, max_deliver=max_deliver, backoff=backoff)
    relay = OutboxRelay(store, store.engine, publisher, name=stream_name(module), batch_size=batch_size)
    return EventDelivery(relay=relay, publisher=publisher, runners=runners)
