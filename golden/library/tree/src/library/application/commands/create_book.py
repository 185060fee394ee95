"""CreateBook command handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from library.application.bases import CreateBookHandlerBase
from library.application.messages import CreateBookRequest, CreateBookResponse
from library.domain.models import BookCreated


class CreateBookHandler(CreateBookHandlerBase):
    """Add a book to the catalogue."""

    async def handle(self, request: CreateBookRequest) -> CreateBookResponse:
        aggregate = self.repository.new()
        aggregate.record(
            BookCreated(
                book_id=aggregate.id,
                title=request.title,
                author=request.author,
                copies=request.copies,
                policy=request.policy,
            )
        )
        await self.repository.save(aggregate)
        return CreateBookResponse(book_id=aggregate.id, message="Book created")
