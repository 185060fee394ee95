"""Projection of read model book_summary: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from potter_runtime.store import StoredEvent
from sqlalchemy.ext.asyncio import AsyncConnection

from library.application.messages import BookSummary
from library.application.read_models import BookSummaryProjectionBase
from library.domain.models import BookCreated, BookDeleted, BookUpdated


class BookSummaryProjection(BookSummaryProjectionBase):
    """Keeps read model `book_summary` (BookSummary per Book id) up to date.

    Each method runs once per event, in order, inside the transaction that
    also moves this projection's checkpoint. Override the base's other
    `on_<event>` methods to use more events.
    """

    async def on_book_created(
        self, conn: AsyncConnection, event: BookCreated, stored: StoredEvent
    ) -> None:
        document = (
            await self.read_model.get_in(conn, stored.aggregate_id) or BookSummary()
        )
        document = document.model_copy(
            update={
                "book_id": stored.aggregate_id,
                "title": event.title,
                "author": event.author,
                "copies": event.copies,
            }
        )
        await self.read_model.put(conn, stored.aggregate_id, document, stored)

    async def on_book_updated(
        self, conn: AsyncConnection, event: BookUpdated, stored: StoredEvent
    ) -> None:
        document = (
            await self.read_model.get_in(conn, stored.aggregate_id) or BookSummary()
        )
        document = document.model_copy(
            update={
                "book_id": stored.aggregate_id,
                "title": event.title,
                "author": event.author,
                "copies": event.copies,
            }
        )
        await self.read_model.put(conn, stored.aggregate_id, document, stored)

    async def on_book_deleted(
        self, conn: AsyncConnection, event: BookDeleted, stored: StoredEvent
    ) -> None:
        await self.read_model.delete(conn, stored.aggregate_id)
