"""alembic on the runtime's MetaData: autogenerate, upgrade head, check, downgrade, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from pydantic import BaseModel
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from potter_runtime.migrations import DatabaseNotAtHeadError, ensure_at_head, runtime_metadata
from potter_runtime.readmodels import StateReadModel
from potter_runtime.store import open_event_store

from .store_contract import event

RUNTIME_TABLES = {
    "events",
    "snapshots",
    "aggregate_states",
    "aggregate_counts",
    "projection_checkpoints",
    "processed_events",
    "idempotency_keys",
    "operations",
}

# The whole env.py a generated project needs.
ENV_PY = """\
from alembic import context

from potter_runtime.migrations import run_alembic_env

run_alembic_env(context.config.get_main_option("sqlalchemy.url"))
"""


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}"
    url: str = request.getfixturevalue("fresh_postgres_url")
    return url


@pytest.fixture
def alembic_config(tmp_path: Path, database_url: str) -> Config:
    ini, directory = tmp_path / "alembic.ini", tmp_path / "migrations"
    command.init(Config(str(ini)), str(directory), template="async")
    (directory / "env.py").write_text(ENV_PY)
    config = Config(str(ini))
    config.set_main_option("script_location", str(directory))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


def _tables(url: str) -> set[str]:
    async def names() -> set[str]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
        finally:
            await engine.dispose()

    return asyncio.run(names())


class Named(BaseModel):
    name: str


async def _use_the_store(url: str) -> tuple[int, str | None]:
    store = open_event_store(url)
    try:
        await store.append("Item", "a", 0, [event(1), event(2)], state={"name": "two"})
        view = await StateReadModel(store.engine, "Item", Named).get("a")
        return len(await store.read_all()), None if view is None else view.state.name
    finally:
        await store.close()


def test_upgrade_head_creates_the_runtime_tables(
    alembic_config: Config, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert {table.name for table in runtime_metadata().sorted_tables} == RUNTIME_TABLES
    command.revision(alembic_config, message="runtime tables", autogenerate=True)
    command.upgrade(alembic_config, "head", sql=True)  # offline: prints the SQL, touches nothing
    assert "CREATE TABLE events" in capsys.readouterr().out
    assert not _tables(database_url) & RUNTIME_TABLES

    command.upgrade(alembic_config, "head")

    assert _tables(database_url) == RUNTIME_TABLES | {"alembic_version"}
    command.check(alembic_config)  # raises when the database differs from the MetaData
    assert asyncio.run(_use_the_store(database_url)) == (2, "two")
    command.downgrade(alembic_config, "base")
    assert _tables(database_url) == {"alembic_version"}


def _ensure_at_head(url: str, config: Config) -> None:
    async def check() -> None:
        engine = create_async_engine(url)
        try:
            await ensure_at_head(engine, config.get_main_option("script_location") or "")
        finally:
            await engine.dispose()

    asyncio.run(check())


def test_ensure_at_head_refuses_a_database_that_is_not_migrated(alembic_config: Config, database_url: str) -> None:
    first = command.revision(alembic_config, message="runtime tables", autogenerate=True)
    assert first is not None and not isinstance(first, list)
    with pytest.raises(
        DatabaseNotAtHeadError, match=f"is at revision none, not at head {first.revision}; run `make migrate`"
    ):
        _ensure_at_head(database_url, alembic_config)

    command.upgrade(alembic_config, "head")
    _ensure_at_head(database_url, alembic_config)

    second = command.revision(alembic_config, message="a user's own revision")
    assert second is not None and not isinstance(second, list)
    with pytest.raises(DatabaseNotAtHeadError, match=f"is at revision {first.revision}, not at head {second.revision}"):
        _ensure_at_head(database_url, alembic_config)
