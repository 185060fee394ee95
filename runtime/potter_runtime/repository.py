"""Event-sourced repository: load aggregates from, and save them to, an EventStore.

This module converts between domain events (pydantic) and stored JSON payloads.
It must not contain business rules or SQL; those belong to aggregates and the store.
"""

from __future__ import annotations

import uuid
from typing import Any, Generic, Protocol, TypeVar

from pydantic import ValidationError

from potter_runtime.aggregate import AggregateRoot
from potter_runtime.bus.context import claimed_idempotency_key, current_context, record_append
from potter_runtime.errors import NotFoundError
from potter_runtime.messages import IGNORE_UNKNOWN_FIELDS, DomainEvent
from potter_runtime.store import EventMetadata, EventStore, NewEvent, Snapshot, StoredEvent
from potter_runtime.store.snapshots import SnapshotPolicy, schema_fingerprint

AggT = TypeVar("AggT", bound=AggregateRoot[Any])
AggCo = TypeVar("AggCo", bound=AggregateRoot[Any])


class Repository(Protocol[AggCo]):
    """Port through which handlers load and save one kind of aggregate.

    The domain depends on this protocol only; ``EventSourcedRepository`` is the
    adapter that implements it over an ``EventStore``.
    """

    def new(self, aggregate_id: str | None = None) -> AggCo:
        """Return an unsaved aggregate (random UUID4 id when None)."""
        ...

    async def get(self, aggregate_id: str) -> AggCo:
        """Return the aggregate; raise ``NotFoundError`` if missing or deleted."""
        ...

    async def find(self, aggregate_id: str) -> AggCo | None:
        """Return the aggregate, or None if missing or deleted."""
        ...

    async def save(self, aggregate: AggCo) -> None:
        """Append pending events; raise ``ConcurrencyError`` on a stale version."""
        ...

    async def list(self) -> list[AggCo]:
        """Return every non-deleted aggregate, in creation order."""
        ...


class EventSourcedRepository(Generic[AggT]):
    """Repository of one aggregate class over an ``EventStore``.

    Args:
        store: Where event streams are kept.
        aggregate_class: The aggregate class; its ``aggregate_type`` names the
            streams and its ``event_types`` decodes stored events.
        snapshots: When to save a snapshot of the aggregate's ``state``; loading
            then starts from the latest snapshot whose state schema fingerprint
            matches the current state model. None (the default) never reads
            or writes snapshots: every load replays the whole stream.
            Snapshots hold ``state`` only; an aggregate keeping other attributes
            derived from events must not use them.
        state_projection: Write the aggregate's state to the state projection
            (``potter_runtime.readmodels.StateReadModel``) in each append's
            transaction; False (the default) leaves the projection alone.
    """

    def __init__(
        self,
        store: EventStore,
        aggregate_class: type[AggT],
        *,
        snapshots: SnapshotPolicy | None = None,
        state_projection: bool = False,
    ) -> None:
        self.store = store
        self.aggregate_class = aggregate_class
        self.snapshots = snapshots
        self.state_projection = state_projection

    def new(self, aggregate_id: str | None = None) -> AggT:
        """Create an unsaved aggregate with no events.

        Args:
            aggregate_id: Identifier to use; a random UUID4 string when None.

        Returns:
            The new aggregate at version 0.
        """
        return self.aggregate_class(aggregate_id or str(uuid.uuid4()))

    async def find(self, aggregate_id: str) -> AggT | None:
        """Load an aggregate, or return None if it has no events or is deleted.

        Args:
            aggregate_id: Identifier of the aggregate.

        Returns:
            The aggregate at its latest version, or None.

        Raises:
            KeyError: A stored event type is missing from ``event_types``.
        """
        aggregate = self.aggregate_class(aggregate_id)
        if self.snapshots is not None:
            await self._restore_snapshot(aggregate)
        stored = await self.store.load(
            self.aggregate_class.aggregate_type,
            aggregate_id,
            after_version=aggregate.version,
        )
        if not stored and aggregate.version == 0:
            return None
        version = stored[-1].version if stored else aggregate.version
        aggregate.replay((self._decode(event) for event in stored), version)
        return None if aggregate.deleted else aggregate

    async def _restore_snapshot(self, aggregate: AggT) -> None:
        """Set the aggregate's state and version from its snapshot, when one fits."""
        snapshot = await self.store.load_snapshot(
            self.aggregate_class.aggregate_type, aggregate.id
        )
        state_model = type(aggregate.state)
        if (
            snapshot is None
            or snapshot.schema_fingerprint != schema_fingerprint(state_model)
        ):
            return  # none yet, or taken under another state shape: replay every event
        try:
            aggregate.state = state_model.model_validate(snapshot.state)
        except ValidationError:
            return  # unreadable despite the fingerprint: replaying is always correct
        aggregate.version = snapshot.version

    async def get(self, aggregate_id: str) -> AggT:
        """Load an aggregate that must exist.

        Args:
            aggregate_id: Identifier of the aggregate.

        Returns:
            The aggregate at its latest version.

        Raises:
            NotFoundError: The aggregate has no events or is deleted.
        """
        aggregate = await self.find(aggregate_id)
        if aggregate is None:
            raise NotFoundError(
                f"{self.aggregate_class.aggregate_type} '{aggregate_id}' not found"
            )
        return aggregate

    async def save(self, aggregate: AggT) -> None:
        """Append the aggregate's pending events, then mark them committed.

        Args:
            aggregate: An aggregate loaded from or created by this repository.

        Raises:
            ConcurrencyError: Another writer saved the aggregate since it was loaded.
        """
        metadata = _current_metadata()
        events = [_encode(event, metadata) for event in aggregate.pending_events]
        if not events:
            return
        old_version = aggregate.version
        projected = self.state_projection and not aggregate.deleted
        version = await self.store.append(
            self.aggregate_class.aggregate_type,
            aggregate.id,
            old_version,
            events,
            state=aggregate.state.model_dump(mode="json") if projected else None,
            deleted=self.state_projection and aggregate.deleted,
        )
        aggregate.mark_committed(version)
        # Tells the bus which cached queries to invalidate once the command ends.
        record_append(self.aggregate_class.aggregate_type, len(events))
        if (
            self.snapshots is not None
            and self.snapshots.is_due(old_version, version)
            and not aggregate.deleted
        ):
            # After the commit, in its own transaction: a lost snapshot only
            # makes the next load replay more events.
            await self.store.save_snapshot(
                Snapshot(
                    aggregate_type=self.aggregate_class.aggregate_type,
                    aggregate_id=aggregate.id,
                    version=version,
                    state=aggregate.state.model_dump(mode="json"),
                    schema_fingerprint=schema_fingerprint(type(aggregate.state)),
                )
            )

    async def list(self) -> list[AggT]:
        """Return every non-deleted aggregate of this type, in creation order.

        Loads each stream in full; fine for the embedded default, use a read
        model (projection) for large collections.
        """
        aggregates: list[AggT] = []
        for aggregate_id in await self.store.aggregate_ids(
            self.aggregate_class.aggregate_type
        ):
            aggregate = await self.find(aggregate_id)
            if aggregate is not None:
                aggregates.append(aggregate)
        return aggregates

    def _decode(self, stored: StoredEvent) -> DomainEvent:
        return self.aggregate_class.event_types[stored.event_type].model_validate(
            # An event stored before a field was removed from the proto must still load.
            stored.payload,
            context=IGNORE_UNKNOWN_FIELDS,
        )


def _current_metadata() -> EventMetadata:
    """Return the ids of the dispatch being handled (``potter_runtime.bus``), empty outside one."""
    context = current_context()
    if context is None:
        return EventMetadata()
    return EventMetadata(
        command_id=context.command_id,
        correlation_id=context.correlation_id,
        causation_id=context.command_id,  # the command caused its events
        idempotency_key=claimed_idempotency_key(),
    )


def _encode(event: DomainEvent, metadata: EventMetadata) -> NewEvent:
    return NewEvent(
        event_type=event.event_type,
        event_version=event.event_version,
        payload=event.model_dump(mode="json", by_alias=True),
        metadata=metadata,
    )
