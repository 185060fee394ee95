"""Event-sourced aggregate root base class.

An aggregate's state is derived only by applying its domain events in order.
This module must not perform I/O; loading and saving belong to ``repository.py``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import ClassVar, Generic, TypeVar

from pydantic import BaseModel

from potter_runtime.messages import DomainEvent

StateT = TypeVar("StateT", bound=BaseModel)


class AggregateRoot(ABC, Generic[StateT]):
    """Base of generated aggregates; user behaviour lives in scaffold subclasses.

    Attributes:
        aggregate_type: Stream name of this aggregate kind (ClassVar str), e.g. ``"Item"``.
        event_types: Maps stored ``event_type`` strings to event classes (ClassVar),
            used to decode stored events.
        id: Aggregate identifier (str).
        version: Number of persisted events (int); 0 for a new aggregate.
        state: Current state (StateT), rebuilt from events.
        deleted: Whether a deleting event has been applied (bool).
    """

    aggregate_type: ClassVar[str] = ""
    event_types: ClassVar[dict[str, type[DomainEvent]]] = {}

    def __init__(self, aggregate_id: str) -> None:
        """Create an aggregate in its initial state, with no events.

        Args:
            aggregate_id: Identifier of the aggregate.
        """
        self.id = aggregate_id
        self.version = 0
        self.deleted = False
        self.state: StateT = self.initial_state(aggregate_id)
        self._pending: list[DomainEvent] = []

    @abstractmethod
    def initial_state(self, aggregate_id: str) -> StateT:
        """Return the state of an aggregate before any event.

        Args:
            aggregate_id: Identifier of the aggregate.

        Returns:
            A fresh state model.
        """

    @abstractmethod
    def apply(self, event: DomainEvent) -> None:
        """Change ``state`` to reflect one event; must not fail or do I/O.

        Args:
            event: An event of one of the classes in ``event_types``.
        """

    @property
    def pending_events(self) -> tuple[DomainEvent, ...]:
        """Events recorded since the last load or save, oldest first."""
        return tuple(self._pending)

    def record(self, event: DomainEvent) -> None:
        """Apply a new event and queue it for saving.

        Args:
            event: The event the command produced.
        """
        self.apply(event)
        self._pending.append(event)

    def mark_deleted(self) -> None:
        """Flag the aggregate as deleted; call from ``apply`` for deleting events."""
        self.deleted = True

    def mark_committed(self, new_version: int) -> None:
        """Forget pending events after they were persisted.

        Args:
            new_version: Stream version after the append (int, event count).
        """
        self.version = new_version
        self._pending.clear()

    def replay(self, events: Iterable[DomainEvent], version: int) -> None:
        """Rebuild state from stored events without queuing them.

        Args:
            events: Stored events in stream order.
            version: Stream version after the last of ``events``.
        """
        for event in events:
            self.apply(event)
        self.version = version
