"""ListDishes query handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from potter_runtime.pagination import paginate

from kitchen.application.bases import ListDishesHandlerBase
from kitchen.application.messages import ListDishesRequest, ListDishesResponse


class ListDishesHandler(ListDishesHandlerBase):
    """ListDishes query."""

    async def handle(self, request: ListDishesRequest) -> ListDishesResponse:
        aggregates = await self.repository.list()
        page = paginate(aggregates, page=1, page_size=request.page_size)
        return ListDishesResponse(dishes=[a.state for a in page], total=len(aggregates))
