"""The event store port: the records it keeps and the operations every backend offers.

Backends (``sqlite.py``, ``postgres.py``) implement ``EventStore``; one shared
contract test suite (``tests/runtime/store_contract.py``) checks each of them.
This module must not import SQLAlchemy or know about aggregates or pydantic
models: payloads and snapshot states are JSON objects (``dict``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class EventMetadata:
    """Where an event came from, stored beside its payload.

    Attributes:
        command_id: Id of the command whose handling recorded the event, if known.
        correlation_id: Id shared by every message of one business flow, if known.
        causation_id: Id of the message that directly caused the event, if known.
        idempotency_key: The idempotency key the command was executed under, if
            any: its events' commit is what makes the key "applied" (never run again).
    """

    command_id: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    idempotency_key: str | None = None

    def to_json(self) -> dict[str, str]:
        """Return the set fields as a JSON object keyed by camelCase names."""
        pairs = {
            "commandId": self.command_id,
            "correlationId": self.correlation_id,
            "causationId": self.causation_id,
            "idempotencyKey": self.idempotency_key,
        }
        return {key: value for key, value in pairs.items() if value is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> EventMetadata:
        """Read metadata written by ``to_json``; unknown keys are ignored."""
        data = data or {}
        return cls(
            command_id=data.get("commandId"),
            correlation_id=data.get("correlationId"),
            causation_id=data.get("causationId"),
            idempotency_key=data.get("idempotencyKey"),
        )


@dataclass(frozen=True)
class NewEvent:
    """An event about to be appended.

    Attributes:
        event_type: Envelope type, e.g. ``"item.created"``.
        event_version: Payload schema version (int).
        payload: JSON-compatible event body.
        event_id: Unique id of the event (UUID4 unless given), kept by every
            copy of the event (relay, broker message id).
        metadata: Command, correlation and causation ids.
    """

    event_type: str
    event_version: int
    payload: dict[str, Any]
    event_id: uuid.UUID = field(default_factory=uuid.uuid4)
    metadata: EventMetadata = field(default_factory=EventMetadata)


@dataclass(frozen=True)
class StoredEvent:
    """An event read back from the store.

    Attributes:
        position: Global order of the event (int, > 0), strictly increasing in
            commit order, so a reader following it never skips a late commit.
            Not dense: a rolled-back append leaves a gap.
        event_id: Unique id of the event.
        aggregate_type: Stream kind.
        aggregate_id: Stream identifier.
        version: 1-based position of the event in its stream (int).
        event_type: Envelope type.
        event_version: Payload schema version (int).
        payload: JSON-compatible event body.
        metadata: Command, correlation and causation ids.
        recorded_at: When the event was appended (timezone-aware, UTC).
    """

    position: int
    event_id: uuid.UUID
    aggregate_type: str
    aggregate_id: str
    version: int
    event_type: str
    event_version: int
    payload: dict[str, Any]
    metadata: EventMetadata
    recorded_at: datetime


@dataclass(frozen=True)
class Snapshot:
    """An aggregate's state at one version, saved so loading can skip earlier events.

    Attributes:
        aggregate_type: Stream kind.
        aggregate_id: Stream identifier.
        version: Stream version the state reflects (int, > 0).
        state: The state as a JSON object.
        schema_fingerprint: Fingerprint of the state model's schema when the
            snapshot was taken; a reader with another fingerprint must ignore it.
    """

    aggregate_type: str
    aggregate_id: str
    version: int
    state: dict[str, Any]
    schema_fingerprint: str


class EventStore(Protocol):
    """Port for event persistence; implementations must be safe across processes."""

    async def create_schema(self) -> None:
        """Create the store's tables if missing (idempotent)."""
        ...

    async def close(self) -> None:
        """Release connections; the store must not be used afterwards."""
        ...

    async def append(
        self,
        aggregate_type: str,
        aggregate_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        *,
        state: dict[str, Any] | None = None,
        deleted: bool = False,
    ) -> int:
        """Append events to a stream if it is still at ``expected_version``.

        All events are stored or none is, together with the state projection's
        row when ``state`` or ``deleted`` is given (one transaction), so a query
        right after the append reads the new state.

        Args:
            aggregate_type: Stream kind.
            aggregate_id: Stream identifier.
            expected_version: Version (event count) the caller last saw; 0 for a new stream.
            events: Events to append, in order.
            state: The aggregate's state after the events, as a JSON object, for
                the state projection; None leaves the projection alone.
            deleted: The events deleted the aggregate: its projection row is removed.

        Returns:
            The stream's new version (int).

        Raises:
            ConcurrencyError: The stream's version is not ``expected_version``.
        """
        ...

    async def load(self, aggregate_type: str, aggregate_id: str, *, after_version: int = 0) -> list[StoredEvent]:
        """Return a stream's events with a version above ``after_version``, in version order.

        Args:
            aggregate_type: Stream kind.
            aggregate_id: Stream identifier.
            after_version: Version already known to the caller (e.g. a snapshot's); 0 for all.

        Returns:
            The events; empty if the stream does not exist or has no later event.
        """
        ...

    async def aggregate_ids(self, aggregate_type: str) -> list[str]:
        """Return the ids of all streams of a kind, in order of their first append."""
        ...

    async def read_all(self, *, after_position: int = 0, limit: int = 1000) -> list[StoredEvent]:
        """Return events of every stream with a position above ``after_position``.

        Relays and projections call this with their stored checkpoint (the last
        position they processed) and move the checkpoint to the last event returned.

        Args:
            after_position: Last position already processed; 0 to start from the beginning.
            limit: Most events to return (int, > 0).

        Returns:
            Up to ``limit`` events in position order.
        """
        ...

    async def max_position(self) -> int:
        """Return the highest position stored, 0 when the store is empty."""
        ...

    async def save_snapshot(self, snapshot: Snapshot) -> None:
        """Store a snapshot, replacing the stream's previous one unless that one is newer."""
        ...

    async def load_snapshot(self, aggregate_type: str, aggregate_id: str) -> Snapshot | None:
        """Return the stream's latest snapshot, or None when there is none."""
        ...
