"""The Shelf aggregate: your behaviour and invariants on the generated state handling."""

from __future__ import annotations

from shelf.domain.aggregates.shelf_base import ShelfAggregateBase


class ShelfAggregate(ShelfAggregateBase):
    """The Shelf aggregate."""
