"""CreateItem command handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from simple.application.bases import CreateItemHandlerBase
from simple.application.messages import CreateItemRequest, CreateItemResponse
from simple.domain.models import ItemCreatedEvent


class CreateItemHandler(CreateItemHandlerBase):
    """CreateItem создает новый item"""

    async def handle(self, request: CreateItemRequest) -> CreateItemResponse:
        aggregate = self.repository.new()
        aggregate.record(
            ItemCreatedEvent(
                item_id=aggregate.id,
                name=request.name,
                description=request.description,
                quantity=request.quantity,
            )
        )
        await self.repository.save(aggregate)
        return CreateItemResponse(item_id=aggregate.id, message="Item created")
