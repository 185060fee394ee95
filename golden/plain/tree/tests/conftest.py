"""Fixtures of the generated tests: the service on a temporary SQLite event store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shelf.bootstrap import build_container
from shelf.presentation.rest.app import create_app
from shelf.settings import Settings


@pytest.fixture
def database(tmp_path: Path) -> Path:
    """Return the path of a fresh SQLite event store."""
    return tmp_path / "events.db"


@pytest.fixture
def client(database: Path) -> Iterator[TestClient]:
    """Serve the application in process, with its lifespan, over HTTP."""
    settings = Settings(database_url=f"sqlite+aiosqlite:///{database}")
    with TestClient(create_app(build_container(settings))) as test_client:
        yield test_client
