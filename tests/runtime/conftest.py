"""Shared fixtures for the runtime tests: anyio backend, SQLite files and a PostgreSQL database.

PostgreSQL: the ``postgres_url`` and ``fresh_postgres_url`` fixtures live in
``tests/conftest.py``, shared with the end-to-end service tests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

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
