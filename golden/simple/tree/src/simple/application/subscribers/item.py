"""Event subscriber of Item: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from potter_runtime import StoredEvent
from sqlalchemy.ext.asyncio import AsyncConnection

from simple.application.subscriber_bases import ItemSubscriberBase
from simple.domain.models import ItemCreatedEvent, ItemUpdatedEvent


class ItemSubscriber(ItemSubscriberBase):
    """Reacts to the events of Item, each once, after the command that stored it committed.

    Each method runs in a database transaction of its own (`conn`) that also
    records the event as processed by `item_subscriber`: write your tables
    through `conn` and the effect happens once. Raise to have the event
    delivered again after a delay (`EVENT_BACKOFF_SECONDS`); after
    `EVENT_MAX_DELIVER` attempts it is parked (NATS subject
    `simple.dlq.item_subscriber`, or logged without `NATS_URL`).
    A call to another system is not undone by a rollback: make it idempotent,
    e.g. keyed by `stored.event_id`.
    """

    async def on_item_created_event(
        self, conn: AsyncConnection, event: ItemCreatedEvent, stored: StoredEvent
    ) -> None:
        """React to ItemCreatedEvent (`item.created`): nothing yet; write through `conn`."""

    async def on_item_updated_event(
        self, conn: AsyncConnection, event: ItemUpdatedEvent, stored: StoredEvent
    ) -> None:
        """React to ItemUpdatedEvent (`item.updated`): nothing yet; write through `conn`."""
