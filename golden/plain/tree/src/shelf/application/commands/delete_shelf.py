"""DeleteShelf command handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from shelf.application.bases import DeleteShelfHandlerBase
from shelf.application.messages import DeleteShelfRequest, DeleteShelfResponse
from shelf.domain.models import ShelfDeletedEvent


class DeleteShelfHandler(DeleteShelfHandlerBase):
    """DeleteShelf command."""

    async def handle(self, request: DeleteShelfRequest) -> DeleteShelfResponse:
        aggregate = await self.repository.get(request.id)
        aggregate.record(ShelfDeletedEvent(shelf_id=aggregate.id))
        await self.repository.save(aggregate)
        return DeleteShelfResponse()
