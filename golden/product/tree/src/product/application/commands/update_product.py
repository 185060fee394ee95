"""UpdateProduct command handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from potter_runtime.updates import update_paths

from product.application.bases import UpdateProductHandlerBase
from product.application.messages import UpdateProductRequest, UpdateProductResponse
from product.domain.models import ProductUpdatedEvent


class UpdateProductHandler(UpdateProductHandlerBase):
    """UpdateProduct command."""

    async def handle(self, request: UpdateProductRequest) -> UpdateProductResponse:
        aggregate = await self.repository.get(request.id)
        # AIP-134: change only the fields the request names; keep the others.
        paths = update_paths(request, path_field="id")
        aggregate.record(
            ProductUpdatedEvent(
                product_id=aggregate.id,
                name=(request.name if "name" in paths else aggregate.state.name),
                price=(request.price if "price" in paths else aggregate.state.price),
                stock=(request.stock if "stock" in paths else aggregate.state.stock),
            )
        )
        await self.repository.save(aggregate)
        return UpdateProductResponse(message="Product updated")
