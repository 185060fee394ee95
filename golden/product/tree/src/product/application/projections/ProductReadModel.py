"""Projection of read model ProductReadModel: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from potter_runtime.store import StoredEvent
from sqlalchemy.ext.asyncio import AsyncConnection

from product.application.read_models import ProductReadModelProjectionBase
from product.domain.models import ProductDeletedEvent


class ProductReadModelProjection(ProductReadModelProjectionBase):
    """Keeps read model `ProductReadModel` (GetProductResponse per Product id) up to date.

    Each method runs once per event, in order, inside the transaction that
    also moves this projection's checkpoint. Override the base's other
    `on_<event>` methods to use more events.
    """

    async def on_product_deleted_event(
        self, conn: AsyncConnection, event: ProductDeletedEvent, stored: StoredEvent
    ) -> None:
        await self.read_model.delete(conn, stored.aggregate_id)
