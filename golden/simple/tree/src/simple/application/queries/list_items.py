"""ListItems query handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from potter_runtime.pagination import paginate

from simple.application.bases import ListItemsHandlerBase
from simple.application.messages import ListItemsRequest, ListItemsResponse


class ListItemsHandler(ListItemsHandlerBase):
    """ListItems возвращает список items"""

    async def handle(self, request: ListItemsRequest) -> ListItemsResponse:
        aggregates = await self.repository.list()
        page = paginate(aggregates, page=request.page, page_size=request.page_size)
        return ListItemsResponse(items=[a.state for a in page], total=len(aggregates))
