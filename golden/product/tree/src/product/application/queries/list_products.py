"""ListProducts query handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from product.application.bases import ListProductsHandlerBase
from product.application.messages import ListProductsRequest, ListProductsResponse


class ListProductsHandler(ListProductsHandlerBase):
    """ListProducts query."""

    async def handle(self, request: ListProductsRequest) -> ListProductsResponse:
        filters = {"category": request.category}
        page = await self.states.page_with_total(
            page_size=request.page_size, page_number=request.page, filters=filters
        )
        return ListProductsResponse(
            products=page.items,
            total=page.total,
            page=request.page,
            page_size=request.page_size,
        )
