"""GetBook query handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from library.application.bases import GetBookHandlerBase
from library.application.messages import GetBookRequest, GetBookResponse


class GetBookHandler(GetBookHandlerBase):
    """Get one book by id."""

    async def handle(self, request: GetBookRequest) -> GetBookResponse:
        aggregate = await self.states.get(request.id)
        return GetBookResponse(book=aggregate.state)
