"""The Product aggregate: your behaviour and invariants on the generated state handling."""

from __future__ import annotations

from product.domain.aggregates.product_base import ProductAggregateBase


class ProductAggregate(ProductAggregateBase):
    """Aggregate"""
