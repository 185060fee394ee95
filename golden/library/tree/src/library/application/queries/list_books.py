"""ListBooks query handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from library.application.bases import ListBooksHandlerBase
from library.application.messages import ListBooksRequest, ListBooksResponse


class ListBooksHandler(ListBooksHandlerBase):
    """List the catalogue, a page at a time."""

    async def handle(self, request: ListBooksRequest) -> ListBooksResponse:
        filters = {"author": request.author}
        page = await self.states.page_with_total(
            page_size=request.page_size,
            page_token=request.page_token,
            page_number=request.page,
            filters=filters,
        )
        return ListBooksResponse(
            books=page.items, total=page.total, next_page_token=page.next_page_token
        )
