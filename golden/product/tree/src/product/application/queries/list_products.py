"""ListProducts query handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from potter_runtime.pagination import paginate

from product.application.bases import ListProductsHandlerBase
from product.application.messages import ListProductsRequest, ListProductsResponse


class ListProductsHandler(ListProductsHandlerBase):
    """ListProducts query."""

    async def handle(self, request: ListProductsRequest) -> ListProductsResponse:
        aggregates = await self.repository.list()
        page = paginate(aggregates, page=request.page, page_size=request.page_size)
        return ListProductsResponse(
            products=[a.state for a in page],
            total=len(aggregates),
            page=request.page,
            page_size=request.page_size,
        )
