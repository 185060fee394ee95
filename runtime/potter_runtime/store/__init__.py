"""Event store: the port (``EventStore``), its records, and one adapter per database.

``open_event_store(url)`` picks the adapter from the URL's scheme. Generated
code imports store names from here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import make_url

from potter_runtime.store.port import (
    EventMetadata,
    EventStore,
    NewEvent,
    Snapshot,
    StoredEvent,
)
from potter_runtime.store.sql import SqlAlchemyEventStore

__all__ = [
    "EventMetadata",
    "EventStore",
    "NewEvent",
    "Snapshot",
    "SqlAlchemyEventStore",
    "StoredEvent",
    "open_event_store",
]


def open_event_store(url: str, *, pool_size: int | None = None, **options: Any) -> SqlAlchemyEventStore:
    """Return the event store adapter for a database URL (no connection is opened yet).

    Args:
        url: SQLAlchemy async URL: ``sqlite+aiosqlite:///…`` or ``postgresql+asyncpg://…``.
        pool_size: Connections kept open on PostgreSQL (None: SQLAlchemy's
            default, 5); SQLite ignores it, its file allows one writer anyway.
        options: Keyword arguments for the adapter, e.g. ``pool_size`` or, on
            PostgreSQL, ``lock_timeout`` (seconds).

    Returns:
        A ``SqliteEventStore`` or ``PostgresEventStore``.

    Raises:
        ValueError: The URL names another database; the message lists the supported schemes.
    """
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        from potter_runtime.store.sqlite import SqliteEventStore

        return SqliteEventStore(url, **options)
    if backend == "postgresql":
        from potter_runtime.store.postgres import PostgresEventStore

        if pool_size is not None:
            options["pool_size"] = pool_size
        return PostgresEventStore(url, **options)
    raise ValueError(
        f"unsupported database URL scheme {make_url(url).drivername!r}; "
        "use sqlite+aiosqlite:///path.db or postgresql+asyncpg://user@host/db"
    )
