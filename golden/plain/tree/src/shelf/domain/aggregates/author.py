"""The Author aggregate: your behaviour and invariants on the generated state handling."""

from __future__ import annotations

from shelf.domain.aggregates.author_base import AuthorAggregateBase


class AuthorAggregate(AuthorAggregateBase):
    """The Author aggregate."""
