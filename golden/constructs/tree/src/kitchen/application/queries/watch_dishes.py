"""WatchDishes query handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from collections.abc import AsyncIterator

from potter_runtime.errors import NotImplementedRpcError

from kitchen.application.bases import WatchDishesHandlerBase
from kitchen.application.messages import ListDishesRequest
from kitchen.domain.models import Dish


class WatchDishesHandler(WatchDishesHandlerBase):
    """Streams the dishes, one JSON object per line."""

    def handle(self, request: ListDishesRequest) -> AsyncIterator[Dish]:
        # Write it as `async def handle(...)` that `yield`s each response.
        raise NotImplementedRpcError("WatchDishes")
