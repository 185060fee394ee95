"""Event subscriber of Book: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from potter_runtime import StoredEvent
from sqlalchemy.ext.asyncio import AsyncConnection

from library.application.subscriber_bases import BookSubscriberBase
from library.domain.models import BookBorrowed, BookCreated, BookDeleted, BookUpdated


class BookSubscriber(BookSubscriberBase):
    """Reacts to the events of Book, each once, after the command that stored it committed.

    Each method runs in a database transaction of its own (`conn`) that also
    records the event as processed by `book_subscriber`: write your tables
    through `conn` and the effect happens once. Raise to have the event
    delivered again after a delay (`EVENT_BACKOFF_SECONDS`); after
    `EVENT_MAX_DELIVER` attempts it is parked (NATS subject
    `library.dlq.book_subscriber`, or logged without `NATS_URL`).
    A call to another system is not undone by a rollback: make it idempotent,
    e.g. keyed by `stored.event_id`.
    """

    async def on_book_created(
        self, conn: AsyncConnection, event: BookCreated, stored: StoredEvent
    ) -> None:
        """React to BookCreated (`library.book.created`): nothing yet; write through `conn`."""

    async def on_book_updated(
        self, conn: AsyncConnection, event: BookUpdated, stored: StoredEvent
    ) -> None:
        """React to BookUpdated (`library.book.updated`): nothing yet; write through `conn`."""

    async def on_book_deleted(
        self, conn: AsyncConnection, event: BookDeleted, stored: StoredEvent
    ) -> None:
        """React to BookDeleted (`library.book.deleted`): nothing yet; write through `conn`."""

    async def on_book_borrowed(
        self, conn: AsyncConnection, event: BookBorrowed, stored: StoredEvent
    ) -> None:
        """React to BookBorrowed (`library.book.borrowed`): nothing yet; write through `conn`."""
