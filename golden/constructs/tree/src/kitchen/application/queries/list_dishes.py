"""ListDishes query handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from kitchen.application.bases import ListDishesHandlerBase
from kitchen.application.messages import ListDishesRequest, ListDishesResponse


class ListDishesHandler(ListDishesHandlerBase):
    """ListDishes query."""

    async def handle(self, request: ListDishesRequest) -> ListDishesResponse:
        page = await self.states.page_with_total(page_size=request.page_size)
        return ListDishesResponse(dishes=page.items, total=page.total)
