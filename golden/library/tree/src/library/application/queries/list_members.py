"""ListMembers query handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from potter_runtime.pagination import paginate

from library.application.bases import ListMembersHandlerBase
from library.application.messages import ListMembersRequest, ListMembersResponse


class ListMembersHandler(ListMembersHandlerBase):
    """List members."""

    async def handle(self, request: ListMembersRequest) -> ListMembersResponse:
        aggregates = await self.repository.list()
        page = paginate(aggregates, page=1, page_size=request.page_size)
        return ListMembersResponse(members=[a.state for a in page])
