"""ListItems query handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from simple.application.bases import ListItemsHandlerBase
from simple.application.messages import ListItemsRequest, ListItemsResponse


class ListItemsHandler(ListItemsHandlerBase):
    """ListItems возвращает список items"""

    async def handle(self, request: ListItemsRequest) -> ListItemsResponse:
        page = await self.states.page_with_total(
            page_size=request.page_size, page_number=request.page
        )
        return ListItemsResponse(items=page.items, total=page.total)
