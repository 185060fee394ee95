"""GetMember query handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from library.application.bases import GetMemberHandlerBase
from library.application.messages import GetMemberRequest, GetMemberResponse


class GetMemberHandler(GetMemberHandlerBase):
    """Get one member by id."""

    async def handle(self, request: GetMemberRequest) -> GetMemberResponse:
        aggregate = await self.states.get(request.id)
        return GetMemberResponse(
            id=aggregate.id,
            full_name=aggregate.state.full_name,
            email=aggregate.state.email,
            address=aggregate.state.address,
        )
