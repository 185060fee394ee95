"""CreateAuthor command handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from shelf.application.bases import CreateAuthorHandlerBase
from shelf.application.messages import CreateAuthorRequest, CreateAuthorResponse
from shelf.domain.models import AuthorCreatedEvent


class CreateAuthorHandler(CreateAuthorHandlerBase):
    """CreateAuthor command."""

    async def handle(self, request: CreateAuthorRequest) -> CreateAuthorResponse:
        aggregate = self.repository.new()
        aggregate.record(AuthorCreatedEvent(author_id=aggregate.id, name=request.name))
        await self.repository.save(aggregate)
        return CreateAuthorResponse(author_id=aggregate.id)
