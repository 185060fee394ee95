"""CreateMember command handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from library.application.bases import CreateMemberHandlerBase
from library.application.messages import CreateMemberRequest, CreateMemberResponse
from library.domain.models import MemberRegistered


class CreateMemberHandler(CreateMemberHandlerBase):
    """Register a new member."""

    async def handle(self, request: CreateMemberRequest) -> CreateMemberResponse:
        aggregate = self.repository.new()
        aggregate.record(
            MemberRegistered(
                member_id=aggregate.id,
                full_name=request.full_name,
                email=request.email,
                address=request.address,
            )
        )
        await self.repository.save(aggregate)
        return CreateMemberResponse(member_id=aggregate.id)
