"""Fixtures of the generated tests: the service, in process, on a database of its own.

SQLite by default (a temporary file). With `TEST_DATABASE_URL` set to a
PostgreSQL server (`postgresql+asyncpg://postgres@127.0.0.1:5432/postgres`, an
admin connection), each test gets a PostgreSQL database of its own, migrated
with `alembic upgrade heads`, and dropped after it.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from product.bootstrap import PROJECT_DIR, Container, build_container
from product.presentation.rest.app import create_app
from product.settings import Settings


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Return the URL of a fresh, migrated database: SQLite, or PostgreSQL with TEST_DATABASE_URL."""
    admin = os.environ.get("TEST_DATABASE_URL", "")
    if not admin.startswith("postgresql"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'events.db'}"
        return
    name = f"test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(admin, f'CREATE DATABASE "{name}"'))
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    try:
        monkeypatch.setenv("DATABASE_URL", url)  # read by migrations/env.py
        command.upgrade(Config(str(PROJECT_DIR / "alembic.ini")), "heads")
        yield url
    finally:
        asyncio.run(_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def container(database_url: str) -> Container:
    """Return the service's handlers and adapters on the test's database."""
    return build_container(
        Settings(database_url=database_url, projection_poll_seconds=0.05)
    )


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    """Serve the application in process, with its lifespan, over HTTP."""
    with TestClient(create_app(container)) as test_client:
        yield test_client


@pytest.fixture
def stored_event_types(
    client: TestClient, container: Container
) -> Callable[[str], list[str]]:
    """Return a function listing the types of the stored events of one aggregate type, in order."""

    def event_types(aggregate_type: str) -> list[str]:
        assert client.portal is not None  # the client is serving (inside its `with`)
        events = client.portal.call(
            lambda: container.event_store.read_all(limit=100_000)
        )
        return [e.event_type for e in events if e.aggregate_type == aggregate_type]

    return event_types
