"""ListMembers query handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from library.application.bases import ListMembersHandlerBase
from library.application.messages import ListMembersRequest, ListMembersResponse


class ListMembersHandler(ListMembersHandlerBase):
    """List members."""

    async def handle(self, request: ListMembersRequest) -> ListMembersResponse:
        page = await self.states.page(page_size=request.page_size)
        return ListMembersResponse(members=page.items)
