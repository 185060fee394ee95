"""Names generated code imported before the store moved keep working, with a warning."""

from __future__ import annotations

import importlib

import pytest

import potter_runtime
from potter_runtime import store
from potter_runtime.store import schema, sqlite

# Every name potter_runtime.event_store offered before the move, and where it lives now.
OLD_EVENT_STORE_NAMES = {
    "EventStore": store.EventStore,
    "NewEvent": store.NewEvent,
    "StoredEvent": store.StoredEvent,
    "SqlEventStore": sqlite.SqliteEventStore,
    "events_table": schema.events_table,
    "metadata": schema.metadata,
}


@pytest.mark.parametrize("name", sorted(OLD_EVENT_STORE_NAMES))
def test_old_event_store_names_resolve_with_a_deprecation_warning(name: str) -> None:
    module = importlib.import_module("potter_runtime.event_store")

    with pytest.warns(DeprecationWarning, match=f"potter_runtime.event_store.{name} moved to potter_runtime.store"):
        value = getattr(module, name)

    assert value is OLD_EVENT_STORE_NAMES[name]
    assert name in module.__all__


def test_from_import_of_the_old_module_still_works() -> None:
    with pytest.warns(DeprecationWarning):
        from potter_runtime.event_store import SqlEventStore

    store_ = SqlEventStore("sqlite+aiosqlite:///:memory:")
    assert isinstance(store_, store.SqlAlchemyEventStore)


def test_unknown_old_name_is_an_attribute_error() -> None:
    module = importlib.import_module("potter_runtime.event_store")
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        module.nope  # noqa: B018


def test_top_level_store_names_point_at_the_store_package() -> None:
    for name in ("EventStore", "NewEvent", "StoredEvent", "EventMetadata", "Snapshot", "open_event_store"):
        assert getattr(potter_runtime, name) is getattr(store, name)
    with pytest.warns(DeprecationWarning):
        assert potter_runtime.SqlEventStore is sqlite.SqliteEventStore
