"""The Member aggregate: your behaviour and invariants on the generated state handling."""

from __future__ import annotations

from library.domain.aggregates.member_base import MemberAggregateBase


class MemberAggregate(MemberAggregateBase):
    """A person allowed to borrow books."""
