"""CreateProduct command handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from product.application.bases import CreateProductHandlerBase
from product.application.messages import CreateProductRequest, CreateProductResponse
from product.domain.models import ProductCreatedEvent


class CreateProductHandler(CreateProductHandlerBase):
    """Mutations (Commands)"""

    async def handle(self, request: CreateProductRequest) -> CreateProductResponse:
        aggregate = self.repository.new()
        aggregate.record(
            ProductCreatedEvent(
                product_id=aggregate.id,
                name=request.name,
                price=request.price,
                stock=request.stock,
            )
        )
        await self.repository.save(aggregate)
        return CreateProductResponse(product_id=aggregate.id, message="Product created")
