"""Shared fixtures for the runtime tests: anyio backend, SQLite files and a PostgreSQL database.

PostgreSQL and Redis: the ``postgres_url``, ``fresh_postgres_url`` and ``redis_url`` fixtures live in
``tests/conftest.py``, shared with the end-to-end service tests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from potter_runtime.store import SqlAlchemyEventStore, open_event_store
from potter_runtime.store.sqlite import SqliteEventStore


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'events.db'}"


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[SqliteEventStore]:
    event_store = SqliteEventStore(db_url)
    await event_store.create_schema()
    yield event_store
    await event_store.close()


# --- buses (potter_runtime.bus): one event store per backend -----------------
@pytest.fixture(params=["sqlite", "postgresql"])
def sql_url(request: pytest.FixtureRequest, db_url: str) -> str:
    """A SQLite file of this test, then the session's PostgreSQL database (outside the event loop)."""
    return db_url if request.param == "sqlite" else str(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def sql_store(sql_url: str) -> AsyncIterator[SqlAlchemyEventStore]:
    """An event store with its schema at ``sql_url``."""
    event_store = open_event_store(sql_url)
    await event_store.create_schema()
    yield event_store
    await event_store.close()
