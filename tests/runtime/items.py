"""A small Item aggregate with three events, used across the runtime tests."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field

from potter_runtime import AggregateRoot, DomainEvent


class ItemState(BaseModel):
    item_id: str
    display_name: str = ""
    renames: int = 0


class ItemCreated(DomainEvent):
    event_type = "item.created"
    aggregate_type = "Item"

    display_name: str = Field(alias="displayName")


class ItemRenamed(DomainEvent):
    event_type = "item.renamed"
    event_version = 2
    aggregate_type = "Item"

    display_name: str = Field(alias="displayName")


class ItemDeleted(DomainEvent):
    event_type = "item.deleted"
    aggregate_type = "Item"


class Item(AggregateRoot[ItemState]):
    aggregate_type = "Item"
    event_types: ClassVar[dict[str, type[DomainEvent]]] = {
        e.event_type: e for e in (ItemCreated, ItemRenamed, ItemDeleted)
    }

    def initial_state(self, aggregate_id: str) -> ItemState:
        return ItemState(item_id=aggregate_id)

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, ItemCreated):
            self.state.display_name = event.display_name
        elif isinstance(event, ItemRenamed):
            self.state.display_name = event.display_name
            self.state.renames += 1
        elif isinstance(event, ItemDeleted):
            self.mark_deleted()
