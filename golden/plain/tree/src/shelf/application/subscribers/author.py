"""Event subscriber of Author: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from potter_runtime import StoredEvent
from sqlalchemy.ext.asyncio import AsyncConnection

from shelf.application.subscriber_bases import AuthorSubscriberBase
from shelf.domain.models import AuthorCreatedEvent


class AuthorSubscriber(AuthorSubscriberBase):
    """Reacts to the events of Author, each once, after the command that stored it committed.

    Each method runs in a database transaction of its own (`conn`) that also
    records the event as processed by `author_subscriber`: write your tables
    through `conn` and the effect happens once. Raise to have the event
    delivered again after a delay (`EVENT_BACKOFF_SECONDS`); after
    `EVENT_MAX_DELIVER` attempts it is parked (NATS subject
    `shelf.dlq.author_subscriber`, or logged without `NATS_URL`).
    A call to another system is not undone by a rollback: make it idempotent,
    e.g. keyed by `stored.event_id`.
    """

    async def on_author_created_event(
        self, conn: AsyncConnection, event: AuthorCreatedEvent, stored: StoredEvent
    ) -> None:
        """React to AuthorCreatedEvent (`author.created`): nothing yet; write through `conn`."""
