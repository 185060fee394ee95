"""Event subscriber of Shelf: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from potter_runtime import StoredEvent
from sqlalchemy.ext.asyncio import AsyncConnection

from shelf.application.subscriber_bases import ShelfSubscriberBase
from shelf.domain.models import ShelfCreatedEvent, ShelfDeletedEvent, ShelfUpdatedEvent


class ShelfSubscriber(ShelfSubscriberBase):
    """Reacts to the events of Shelf, each once, after the command that stored it committed.

    Each method runs in a database transaction of its own (`conn`) that also
    records the event as processed by `shelf_subscriber`: write your tables
    through `conn` and the effect happens once. Raise to have the event
    delivered again after a delay (`EVENT_BACKOFF_SECONDS`); after
    `EVENT_MAX_DELIVER` attempts it is parked (NATS subject
    `shelf.dlq.shelf_subscriber`, or logged without `NATS_URL`).
    A call to another system is not undone by a rollback: make it idempotent,
    e.g. keyed by `stored.event_id`.
    """

    async def on_shelf_created_event(
        self, conn: AsyncConnection, event: ShelfCreatedEvent, stored: StoredEvent
    ) -> None:
        """React to ShelfCreatedEvent (`shelf.created`): nothing yet; write through `conn`."""

    async def on_shelf_updated_event(
        self, conn: AsyncConnection, event: ShelfUpdatedEvent, stored: StoredEvent
    ) -> None:
        """React to ShelfUpdatedEvent (`shelf.updated`): nothing yet; write through `conn`."""

    async def on_shelf_deleted_event(
        self, conn: AsyncConnection, event: ShelfDeletedEvent, stored: StoredEvent
    ) -> None:
        """React to ShelfDeletedEvent (`shelf.deleted`): nothing yet; write through `conn`."""
