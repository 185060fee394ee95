"""UpdateItem command handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from simple.application.bases import UpdateItemHandlerBase
from simple.application.messages import UpdateItemRequest, UpdateItemResponse
from simple.domain.models import ItemUpdatedEvent


class UpdateItemHandler(UpdateItemHandlerBase):
    """UpdateItem обновляет item"""

    async def handle(self, request: UpdateItemRequest) -> UpdateItemResponse:
        aggregate = await self.repository.get(request.id)
        aggregate.record(
            ItemUpdatedEvent(
                item_id=aggregate.id,
                name=request.name,
                description=request.description,
                quantity=request.quantity,
            )
        )
        await self.repository.save(aggregate)
        return UpdateItemResponse(message="Item updated")
