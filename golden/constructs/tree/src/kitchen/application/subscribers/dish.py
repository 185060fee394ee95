"""Event subscriber of Dish: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from potter_runtime import StoredEvent
from sqlalchemy.ext.asyncio import AsyncConnection

from kitchen.application.subscriber_bases import DishSubscriberBase
from kitchen.domain.models import DishCreated


class DishSubscriber(DishSubscriberBase):
    """Reacts to the events of Dish, each once, after the command that stored it committed.

    Each method runs in a database transaction of its own (`conn`) that also
    records the event as processed by `dish_subscriber`: write your tables
    through `conn` and the effect happens once. Raise to have the event
    delivered again after a delay (`EVENT_BACKOFF_SECONDS`); after
    `EVENT_MAX_DELIVER` attempts it is parked (NATS subject
    `kitchen.dlq.dish_subscriber`, or logged without `NATS_URL`).
    A call to another system is not undone by a rollback: make it idempotent,
    e.g. keyed by `stored.event_id`.
    """

    async def on_dish_created(
        self, conn: AsyncConnection, event: DishCreated, stored: StoredEvent
    ) -> None:
        """React to DishCreated (`dish.created`): nothing yet; write through `conn`."""
