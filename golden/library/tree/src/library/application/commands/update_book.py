"""UpdateBook command handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from potter_runtime.updates import update_paths

from library.application.bases import UpdateBookHandlerBase
from library.application.messages import UpdateBookRequest, UpdateBookResponse
from library.domain.models import BookUpdated


class UpdateBookHandler(UpdateBookHandlerBase):
    """Change a book's title, author or number of copies."""

    async def handle(self, request: UpdateBookRequest) -> UpdateBookResponse:
        aggregate = await self.repository.get(request.id)
        # AIP-134: change only the fields the request names; keep the others.
        paths = update_paths(request, path_field="id")
        aggregate.record(
            BookUpdated(
                book_id=aggregate.id,
                title=(request.title if "title" in paths else aggregate.state.title),
                author=(
                    request.author if "author" in paths else aggregate.state.author
                ),
                copies=(
                    request.copies if "copies" in paths else aggregate.state.copies
                ),
            )
        )
        await self.repository.save(aggregate)
        return UpdateBookResponse(book=aggregate.state)
