"""DeleteBook command handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from library.application.bases import DeleteBookHandlerBase
from library.application.messages import DeleteBookRequest, DeleteBookResponse
from library.domain.models import BookDeleted


class DeleteBookHandler(DeleteBookHandlerBase):
    """Remove a book from the catalogue."""

    async def handle(self, request: DeleteBookRequest) -> DeleteBookResponse:
        aggregate = await self.repository.get(request.id)
        aggregate.record(BookDeleted(book_id=aggregate.id))
        await self.repository.save(aggregate)
        return DeleteBookResponse(message="Book deleted")
