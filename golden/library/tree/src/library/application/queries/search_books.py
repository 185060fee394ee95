"""SearchBooks query handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from potter_runtime.errors import NotImplementedRpcError

from library.application.bases import SearchBooksHandlerBase
from library.application.messages import SearchBooksRequest, SearchBooksResponse


class SearchBooksHandler(SearchBooksHandlerBase):
    """Find books whose title contains a text."""

    async def handle(self, request: SearchBooksRequest) -> SearchBooksResponse:
        raise NotImplementedRpcError("SearchBooks")
