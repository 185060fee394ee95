"""GetBookSummary query handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from library.application.bases import GetBookSummaryHandlerBase
from library.application.messages import BookSummary, GetBookSummaryRequest


class GetBookSummaryHandler(GetBookSummaryHandlerBase):
    """A book's entry on the catalogue's front page, from the book_summary read model."""

    async def handle(self, request: GetBookSummaryRequest) -> BookSummary:
        # Read model `book_summary`: documents its projection writes from the events.
        return await self.read_model.get(request.book_id)
