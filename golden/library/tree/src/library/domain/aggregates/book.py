"""The Book aggregate: your behaviour and invariants on the generated state handling."""

from __future__ import annotations

from library.domain.aggregates.book_base import BookAggregateBase


class BookAggregate(BookAggregateBase):
    """A book of the catalogue."""
