"""Event-sourced repository: load aggregates from, and save them to, an EventStore.

This module converts between domain events (pydantic) and stored JSON payloads.
It must not contain business rules or SQL; those belong to aggregates and the store.
"""

from __future__ import annotations

import uuid
from typing import Any, Generic, Protocol, TypeVar

from potter_runtime.aggregate import AggregateRoot
from potter_runtime.errors import NotFoundError
from potter_runtime.event_store import EventStore, NewEvent, StoredEvent
from potter_runtime.messages import IGNORE_UNKNOWN_FIELDS, DomainEvent

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
    """

    def __init__(self, store: EventStore, aggregate_class: type[AggT]) -> None:
        self.store = store
        self.aggregate_class = aggregate_class

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
        stored = await self.store.load(
            self.aggregate_class.aggregate_type, aggregate_id
        )
        if not stored:
            return None
        aggregate = self.aggregate_class(aggregate_id)
        aggregate.replay((self._decode(event) for event in stored), stored[-1].version)
        return None if aggregate.deleted else aggregate

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
        events = [_encode(event) for event in aggregate.pending_events]
        if not events:
            return
        version = await self.store.append(
            self.aggregate_class.aggregate_type, aggregate.id, aggregate.version, events
        )
        aggregate.mark_committed(version)

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


def _encode(event: DomainEvent) -> NewEvent:
    return NewEvent(
        event_type=event.event_type,
        event_version=event.event_version,
        payload=event.model_dump(mode="json", by_alias=True),
    )
