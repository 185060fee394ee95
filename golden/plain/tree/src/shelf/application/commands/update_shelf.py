"""UpdateShelf command handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from potter_runtime.updates import update_paths

from shelf.application.bases import UpdateShelfHandlerBase
from shelf.application.messages import UpdateShelfRequest
from shelf.domain.models import Shelf, ShelfUpdatedEvent


class UpdateShelfHandler(UpdateShelfHandlerBase):
    """UpdateShelf command."""

    async def handle(self, request: UpdateShelfRequest) -> Shelf:
        aggregate = await self.repository.get(request.id)
        # AIP-134: change only the fields the request names; keep the others.
        paths = update_paths(request, path_field="id", mask_field="update_mask")
        aggregate.record(
            ShelfUpdatedEvent(
                shelf_id=aggregate.id,
                theme=(request.theme if "theme" in paths else aggregate.state.theme),
                capacity=(
                    request.capacity
                    if "capacity" in paths
                    else aggregate.state.capacity
                ),
            )
        )
        await self.repository.save(aggregate)
        return Shelf(
            id=aggregate.id,
            theme=aggregate.state.theme,
            capacity=aggregate.state.capacity,
        )
