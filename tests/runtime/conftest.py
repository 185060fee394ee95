"""Shared fixtures for the runtime tests: anyio backend, SQLite files and a PostgreSQL database.

PostgreSQL: ``POTTER_TEST_POSTGRES_URL`` (default the local server's ``test``
database) is only the admin connection; each test session creates a database
``potter_test_<random>`` of its own and drops it at the end. An unreachable
server skips the PostgreSQL tests with the reason, or fails them when CI=true.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from potter_runtime.store import SqlAlchemyEventStore, open_event_store
from potter_runtime.store.sqlite import SqliteEventStore

POSTGRES_ADMIN_URL = os.environ.get("POTTER_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


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


async def _admin(statement: str) -> None:
    engine = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a PostgreSQL database created for this test session and dropped after it."""
    name = f"potter_test_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # refused, unknown host, bad credentials: asyncpg and SQLAlchemy differ
        reason = (
            f"PostgreSQL at {make_url(POSTGRES_ADMIN_URL).render_as_string(hide_password=True)} "
            f"is not usable ({type(exc).__name__}: {exc}); start it with `bash .ci/services` "
            "or set POTTER_TEST_POSTGRES_URL"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def fresh_postgres_url(postgres_url: str) -> Iterator[str]:
    """URL of an empty PostgreSQL database of this test alone, dropped after it."""
    name = f"potter_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


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
