"""DeleteProduct command handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from product.application.bases import DeleteProductHandlerBase
from product.application.messages import DeleteProductRequest, DeleteProductResponse
from product.domain.models import ProductDeletedEvent


class DeleteProductHandler(DeleteProductHandlerBase):
    """DeleteProduct command."""

    async def handle(self, request: DeleteProductRequest) -> DeleteProductResponse:
        aggregate = await self.repository.get(request.id)
        aggregate.record(ProductDeletedEvent(product_id=aggregate.id))
        await self.repository.save(aggregate)
        return DeleteProductResponse(message="Product deleted")
