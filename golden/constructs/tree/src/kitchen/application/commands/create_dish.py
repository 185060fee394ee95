"""CreateDish command handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from kitchen.application.bases import CreateDishHandlerBase
from kitchen.application.messages import CreateDishRequest, CreateDishResponse
from kitchen.domain.models import DishCreated


class CreateDishHandler(CreateDishHandlerBase):
    """CreateDish command."""

    async def handle(self, request: CreateDishRequest) -> CreateDishResponse:
        aggregate = self.repository.new()
        aggregate.record(
            DishCreated(
                dish_id=aggregate.id,
                name=request.name,
                calories=request.calories,
                kind=request.kind,
                from_=request.from_,
                tags=request.tags,
            )
        )
        await self.repository.save(aggregate)
        return CreateDishResponse(dish_id=aggregate.id)
