"""GetItem query handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from simple.application.bases import GetItemHandlerBase
from simple.application.messages import GetItemRequest, GetItemResponse


class GetItemHandler(GetItemHandlerBase):
    """GetItem получает item по ID"""

    async def handle(self, request: GetItemRequest) -> GetItemResponse:
        aggregate = await self.states.get(request.id)
        return GetItemResponse(
            id=aggregate.id,
            name=aggregate.state.name,
            description=aggregate.state.description,
            quantity=aggregate.state.quantity,
        )
