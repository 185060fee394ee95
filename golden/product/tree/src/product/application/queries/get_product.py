"""GetProduct query handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from product.application.bases import GetProductHandlerBase
from product.application.messages import GetProductRequest, GetProductResponse


class GetProductHandler(GetProductHandlerBase):
    """Queries"""

    async def handle(self, request: GetProductRequest) -> GetProductResponse:
        aggregate = await self.states.get(request.id)
        return GetProductResponse(product=aggregate.state)
