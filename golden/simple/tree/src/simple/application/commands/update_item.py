"""UpdateItem command handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from potter_runtime.updates import update_paths

from simple.application.bases import UpdateItemHandlerBase
from simple.application.messages import UpdateItemRequest, UpdateItemResponse
from simple.domain.models import ItemUpdatedEvent


class UpdateItemHandler(UpdateItemHandlerBase):
    """UpdateItem обновляет item"""

    async def handle(self, request: UpdateItemRequest) -> UpdateItemResponse:
        aggregate = await self.repository.get(request.id)
        # AIP-134: change only the fields the request names; keep the others.
        paths = update_paths(request, path_field="id")
        aggregate.record(
            ItemUpdatedEvent(
                item_id=aggregate.id,
                name=(request.name if "name" in paths else aggregate.state.name),
                description=(
                    request.description
                    if "description" in paths
                    else aggregate.state.description
                ),
                quantity=(
                    request.quantity
                    if "quantity" in paths
                    else aggregate.state.quantity
                ),
            )
        )
        await self.repository.save(aggregate)
        return UpdateItemResponse(message="Item updated")
