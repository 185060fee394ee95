"""GetDish query handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from kitchen.application.bases import GetDishHandlerBase
from kitchen.application.messages import GetDishRequest
from kitchen.domain.models import Dish


class GetDishHandler(GetDishHandlerBase):
    """Gets one dish: \"\"\"quoted\"\"\", a \\ backslash, {{ jinja }} {% raw %}, ünïcode, 'single' and a final "quote" """

    async def handle(self, request: GetDishRequest) -> Dish:
        aggregate = await self.states.get(request.id)
        return Dish(
            id=aggregate.id,
            name=aggregate.state.name,
            calories=aggregate.state.calories,
            kind=aggregate.state.kind,
            ingredients=aggregate.state.ingredients,
            note=aggregate.state.note,
            plate=aggregate.state.plate,
            bowl=aggregate.state.bowl,
            cooked_at=aggregate.state.cooked_at,
            photo=aggregate.state.photo,
            ratings=aggregate.state.ratings,
            from_=aggregate.state.from_,
            price=aggregate.state.price,
            cooking_time=aggregate.state.cooking_time,
            extras=aggregate.state.extras,
            nickname=aggregate.state.nickname,
            state=aggregate.state.state,
            tags=aggregate.state.tags,
            ratings_by_guest=aggregate.state.ratings_by_guest,
        )
