"""ListBooks query handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from potter_runtime.pagination import paginate

from library.application.bases import ListBooksHandlerBase
from library.application.messages import ListBooksRequest, ListBooksResponse


class ListBooksHandler(ListBooksHandlerBase):
    """List the catalogue, a page at a time."""

    async def handle(self, request: ListBooksRequest) -> ListBooksResponse:
        aggregates = await self.repository.list()
        page = paginate(aggregates, page=request.page, page_size=request.page_size)
        return ListBooksResponse(books=[a.state for a in page], total=len(aggregates))
