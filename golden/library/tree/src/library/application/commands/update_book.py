"""UpdateBook command handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from library.application.bases import UpdateBookHandlerBase
from library.application.messages import UpdateBookRequest, UpdateBookResponse
from library.domain.models import BookUpdated


class UpdateBookHandler(UpdateBookHandlerBase):
    """Change a book's title, author or number of copies."""

    async def handle(self, request: UpdateBookRequest) -> UpdateBookResponse:
        aggregate = await self.repository.get(request.id)
        aggregate.record(
            BookUpdated(
                book_id=aggregate.id,
                title=request.title,
                author=request.author,
                copies=request.copies,
            )
        )
        await self.repository.save(aggregate)
        return UpdateBookResponse(book=aggregate.state)
