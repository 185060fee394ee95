"""The runtime's tables for alembic, the body of a project's ``env.py``, and the start-up schema check.

A generated project's ``migrations/env.py`` calls ``run_alembic_env(url)``; its
revisions create the tables ``runtime_metadata()`` describes (events, snapshots,
aggregate_states, projection_checkpoints), and users add revisions of their own
beside them; at start the service calls ``ensure_at_head``. This module must not
decide which revisions exist.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sqlalchemy import JSON, MetaData, pool
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from potter_runtime.store.schema import metadata
from potter_runtime.store.sql import SqlAlchemyEventStore

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext


class DatabaseNotAtHeadError(RuntimeError):
    """The database's alembic revision is not the migration scripts' head."""


def runtime_metadata() -> MetaData:
    """Return the MetaData of every table the runtime reads or writes.

    Returns:
        The one shared ``MetaData`` (do not add tables to it; give alembic a
        sequence ``[runtime_metadata(), your_metadata]`` instead).
    """
    return metadata


def run_alembic_env(url: str, target_metadata: MetaData | Sequence[MetaData] | None = None) -> None:
    """Run the current alembic command against ``url``; the whole body of a project's ``env.py``.

    Online (the default), migrations run on one connection of an async engine
    (``sqlite+aiosqlite`` or ``postgresql+asyncpg``); in offline mode
    (``alembic upgrade --sql``) they are written out as SQL.

    Args:
        url: SQLAlchemy async URL of the database to migrate.
        target_metadata: What autogenerate compares the database with; the
            runtime's tables when None.

    Raises:
        sqlalchemy.exc.OperationalError: The database cannot be reached.
    """
    from alembic import context  # only importable while alembic runs env.py

    target = runtime_metadata() if target_metadata is None else target_metadata
    if context.is_offline_mode():
        context.configure(
            url=url,
            target_metadata=target,
            literal_binds=True,
            dialect_opts={"paramstyle": "named"},
            render_item=render_item,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        return

    def run(connection: Connection) -> None:
        # render_as_batch: SQLite alters tables by copying them; alembic does that in batch mode.
        context.configure(
            connection=connection,
            target_metadata=target,
            render_as_batch=True,
            render_item=render_item,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run_online() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        try:
            async with engine.connect() as connection:
                await connection.run_sync(run)
        finally:
            await engine.dispose()

    asyncio.run(run_online())


async def ensure_at_head(engine: AsyncEngine, script_location: str | Path) -> None:
    """Check that the database has every migration applied, before a service starts serving.

    Args:
        engine: Engine of the service's database.
        script_location: The project's alembic script directory (``migrations/``).

    Raises:
        DatabaseNotAtHeadError: The database's revisions differ from the scripts'
            heads (never migrated, behind, or ahead of this code); one line naming
            both and saying to run ``make migrate``.
        alembic.util.exc.CommandError: ``script_location`` holds no alembic scripts.
    """
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory(str(script_location)).get_heads())
    async with engine.connect() as conn:
        current = set(await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_heads()))
    if current != heads:
        raise DatabaseNotAtHeadError(
            f"database {engine.url.render_as_string(hide_password=True)} is at revision "
            f"{', '.join(sorted(current)) or 'none'}, not at head {', '.join(sorted(heads))}; "
            "run `make migrate` (alembic upgrade heads)"
        )


async def prepare_database(
    store: SqlAlchemyEventStore, read_model_metadata: MetaData, script_location: str | Path
) -> None:
    """Make the service's database ready at start, or refuse it.

    SQLite (the embedded default) gets every missing table created, the
    runtime's and the read models', so a new project runs with one command.
    Any other database must have been migrated (``make migrate``): it is
    checked, never changed.

    Args:
        store: The service's event store; its engine is the service's database.
        read_model_metadata: The project's named read-model tables.
        script_location: The project's alembic script directory (``migrations/``).

    Raises:
        DatabaseNotAtHeadError: A non-SQLite database is not at the scripts' heads.
    """
    if store.engine.dialect.name == "sqlite":
        await store.create_schema()
        async with store.engine.begin() as conn:
            await conn.run_sync(read_model_metadata.create_all)
        return
    await ensure_at_head(store.engine, script_location)


STATE_INDEX_PREFIX = "ix_aggregate_states_"
"""Names of the state projection's expression indexes, which a project's generated revisions create."""


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Tell alembic's autogenerate which database objects to compare (its ``include_object`` hook).

    The indexes of state fields that List requests filter by are expressions
    (``(state ->> 'author')``) that alembic cannot reflect, so autogenerate would
    propose dropping them; they are left out, the generated revisions own them.

    Returns:
        False for a reflected index named ``ix_aggregate_states_…``, else True.
    """
    return not (type_ == "index" and reflected and compare_to is None and (name or "").startswith(STATE_INDEX_PREFIX))


def render_item(type_: str, obj: object, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render the runtime's JSON-object column type in autogenerated revisions (alembic ``render_item`` hook).

    Alembic renders ``JSON().with_variant(JSONB(), "postgresql")`` as
    ``postgresql.JSONB(astext_type=Text())`` without importing ``Text``, so the
    revision fails with NameError (alembic issues #112, #531); this renders it
    with defaults instead. Every other item keeps alembic's rendering.

    Returns:
        The Python source of the type, or False to let alembic render ``obj``.
    """
    variants = getattr(obj, "_variant_mapping", {})
    if type_ == "type" and isinstance(obj, JSON) and isinstance(variants.get("postgresql"), JSONB):
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return "sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')"
    return False
