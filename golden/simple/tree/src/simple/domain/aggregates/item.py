"""The Item aggregate: your behaviour and invariants on the generated state handling."""

from __future__ import annotations

from simple.domain.aggregates.item_base import ItemAggregateBase


class ItemAggregate(ItemAggregateBase):
    """Item aggregate"""
