"""Shared fixtures for the runtime tests: anyio backend and a SQLite event store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from potter_runtime import SqlEventStore


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'events.db'}"


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[SqlEventStore]:
    event_store = SqlEventStore(db_url)
    await event_store.create_schema()
    yield event_store
    await event_store.close()
