"""Projection of read model ItemReadModel: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from potter_runtime.store import StoredEvent
from sqlalchemy.ext.asyncio import AsyncConnection

from simple.application.messages import GetItemResponse
from simple.application.read_models import ItemReadModelProjectionBase
from simple.domain.models import ItemCreatedEvent, ItemUpdatedEvent


class ItemReadModelProjection(ItemReadModelProjectionBase):
    """Keeps read model `ItemReadModel` (GetItemResponse per Item id) up to date.

    Each method runs once per event, in order, inside the transaction that
    also moves this projection's checkpoint. Override the base's other
    `on_<event>` methods to use more events.
    """

    async def on_item_created_event(
        self, conn: AsyncConnection, event: ItemCreatedEvent, stored: StoredEvent
    ) -> None:
        document = (
            await self.read_model.get_in(conn, stored.aggregate_id) or GetItemResponse()
        )
        document = document.model_copy(
            update={
                "id": stored.aggregate_id,
                "name": event.name,
                "description": event.description,
                "quantity": event.quantity,
            }
        )
        await self.read_model.put(conn, stored.aggregate_id, document, stored)

    async def on_item_updated_event(
        self, conn: AsyncConnection, event: ItemUpdatedEvent, stored: StoredEvent
    ) -> None:
        document = (
            await self.read_model.get_in(conn, stored.aggregate_id) or GetItemResponse()
        )
        document = document.model_copy(
            update={
                "id": stored.aggregate_id,
                "name": event.name,
                "description": event.description,
                "quantity": event.quantity,
            }
        )
        await self.read_model.put(conn, stored.aggregate_id, document, stored)
