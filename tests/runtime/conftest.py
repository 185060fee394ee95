"""Shared fixtures for the runtime tests: anyio backend, SQLite files and a PostgreSQL database.

PostgreSQL: the ``postgres_url`` and ``fresh_postgres_url`` fixtures live in
``tests/conftest.py``, shared with the end-to-end service tests.
"""

from __future__ import annotations

import os
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


REDIS_URL = os.environ.get("POTTER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of the test Redis; tests must put a random prefix before their keys."""
    from redis import Redis

    try:
        with Redis.from_url(REDIS_URL, socket_connect_timeout=2) as client:
            client.ping()
    except Exception as exc:
        reason = (
            f"Redis at {REDIS_URL} is not usable ({type(exc).__name__}: {exc}); start it with `bash .ci/services redis`"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return REDIS_URL
