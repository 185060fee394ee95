"""UpdateProduct command handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from product.application.bases import UpdateProductHandlerBase
from product.application.messages import UpdateProductRequest, UpdateProductResponse
from product.domain.models import ProductUpdatedEvent


class UpdateProductHandler(UpdateProductHandlerBase):
    """UpdateProduct command."""

    async def handle(self, request: UpdateProductRequest) -> UpdateProductResponse:
        aggregate = await self.repository.get(request.id)
        aggregate.record(
            ProductUpdatedEvent(
                product_id=aggregate.id,
                name=request.name,
                price=request.price,
                stock=request.stock,
            )
        )
        await self.repository.save(aggregate)
        return UpdateProductResponse(message="Product updated")
