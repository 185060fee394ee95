"""ListShelves query handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from potter_runtime.errors import NotImplementedRpcError

from shelf.application.bases import ListShelvesHandlerBase
from shelf.application.messages import ListShelvesRequest, ListShelvesResponse


class ListShelvesHandler(ListShelvesHandlerBase):
    """ListShelves query."""

    async def handle(self, request: ListShelvesRequest) -> ListShelvesResponse:
        raise NotImplementedRpcError("ListShelves")
