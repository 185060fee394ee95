"""The Envelope aggregate: your behaviour and invariants on the generated state handling."""

from __future__ import annotations

from kitchen.domain.aggregates.envelope_base import EnvelopeAggregateBase


class EnvelopeAggregate(EnvelopeAggregateBase):
    """The Envelope aggregate."""
