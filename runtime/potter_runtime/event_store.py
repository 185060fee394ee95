"""Deprecated: the event store moved to ``potter_runtime.store``.

Generated code and scaffold files written before the move import from here, so
every old name still resolves, with a ``DeprecationWarning`` naming its new home.
``SqlEventStore`` here is the SQLite adapter, the only backend of that time.
This module must hold no logic.
"""

from __future__ import annotations

import importlib
import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from potter_runtime.store.port import EventStore, NewEvent, StoredEvent
    from potter_runtime.store.schema import events_table, metadata
    from potter_runtime.store.sqlite import SqliteEventStore as SqlEventStore

# Old name → (new module, new name).
_MOVED = {
    "EventStore": ("potter_runtime.store", "EventStore"),
    "NewEvent": ("potter_runtime.store", "NewEvent"),
    "StoredEvent": ("potter_runtime.store", "StoredEvent"),
    "SqlEventStore": ("potter_runtime.store.sqlite", "SqliteEventStore"),
    "events_table": ("potter_runtime.store.schema", "events_table"),
    "metadata": ("potter_runtime.store.schema", "metadata"),
}

__all__ = [
    "EventStore",
    "NewEvent",
    "SqlEventStore",
    "StoredEvent",
    "events_table",
    "metadata",
]


def __getattr__(name: str) -> Any:
    """Resolve a moved name, warning once per import site (PEP 562)."""
    moved = _MOVED.get(name)
    if moved is None:
        raise AttributeError(f"module 'potter_runtime.event_store' has no attribute {name!r}")
    module, new_name = moved
    warnings.warn(
        f"potter_runtime.event_store.{name} moved to {module}.{new_name}",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(importlib.import_module(module), new_name)
