"""CreateShelf command handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from shelf.application.bases import CreateShelfHandlerBase
from shelf.application.messages import CreateShelfRequest
from shelf.domain.models import Shelf, ShelfCreatedEvent


class CreateShelfHandler(CreateShelfHandlerBase):
    """CreateShelf command."""

    async def handle(self, request: CreateShelfRequest) -> Shelf:
        aggregate = self.repository.new()
        aggregate.record(
            ShelfCreatedEvent(
                shelf_id=aggregate.id, theme=request.theme, capacity=request.capacity
            )
        )
        await self.repository.save(aggregate)
        return Shelf(
            id=aggregate.id,
            theme=aggregate.state.theme,
            capacity=aggregate.state.capacity,
        )
