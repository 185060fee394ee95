"""Event subscriber of Product: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from potter_runtime import StoredEvent
from sqlalchemy.ext.asyncio import AsyncConnection

from product.application.subscriber_bases import ProductSubscriberBase
from product.domain.models import (
    ProductCreatedEvent,
    ProductDeletedEvent,
    ProductUpdatedEvent,
)


class ProductSubscriber(ProductSubscriberBase):
    """Reacts to the events of Product, each once, after the command that stored it committed.

    Each method runs in a database transaction of its own (`conn`) that also
    records the event as processed by `product_subscriber`: write your tables
    through `conn` and the effect happens once. Raise to have the event
    delivered again after a delay (`EVENT_BACKOFF_SECONDS`); after
    `EVENT_MAX_DELIVER` attempts it is parked (NATS subject
    `product.dlq.product_subscriber`, or logged without `NATS_URL`).
    A call to another system is not undone by a rollback: make it idempotent,
    e.g. keyed by `stored.event_id`.
    """

    async def on_product_created_event(
        self, conn: AsyncConnection, event: ProductCreatedEvent, stored: StoredEvent
    ) -> None:
        """React to ProductCreatedEvent (`product.created`): nothing yet; write through `conn`."""

    async def on_product_updated_event(
        self, conn: AsyncConnection, event: ProductUpdatedEvent, stored: StoredEvent
    ) -> None:
        """React to ProductUpdatedEvent (`product.updated`): nothing yet; write through `conn`."""

    async def on_product_deleted_event(
        self, conn: AsyncConnection, event: ProductDeletedEvent, stored: StoredEvent
    ) -> None:
        """React to ProductDeletedEvent (`product.deleted`): nothing yet; write through `conn`."""
