"""SearchDishes query handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from potter_runtime.errors import NotImplementedRpcError

from kitchen.application.bases import SearchDishesHandlerBase
from kitchen.application.messages import KitchenMessage, KitchenQuery


class SearchDishesHandler(SearchDishesHandlerBase):
    """Named like FastAPI's Query and potter's Message: generated as KitchenQuery, KitchenMessage."""

    async def handle(self, request: KitchenQuery) -> KitchenMessage:
        raise NotImplementedRpcError("SearchDishes")
