"""GetShelf query handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from shelf.application.bases import GetShelfHandlerBase
from shelf.application.messages import GetShelfRequest
from shelf.domain.models import Shelf


class GetShelfHandler(GetShelfHandlerBase):
    """GetShelf query."""

    async def handle(self, request: GetShelfRequest) -> Shelf:
        aggregate = await self.states.get(request.id)
        return Shelf(
            id=aggregate.id,
            theme=aggregate.state.theme,
            capacity=aggregate.state.capacity,
        )
