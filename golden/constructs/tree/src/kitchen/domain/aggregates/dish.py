"""The Dish aggregate: your behaviour and invariants on the generated state handling."""

from __future__ import annotations

from kitchen.domain.aggregates.dish_base import DishAggregateBase


class DishAggregate(DishAggregateBase):
    """A dish: \"\"\"quoted\"\"\", a \\ backslash, {{ jinja }}, ünïcode and a final "quote" """
