"""``EventStore`` on SQLite (aiosqlite): the embedded default, one file per service.

SQLite lets one writer in at a time; an append takes that write lock before
reading the stream's version, so appends commit in position order.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Executable, event, text
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from potter_runtime.store.schema import snapshots_table
from potter_runtime.store.sql import SqlAlchemyEventStore

# A write statement is what takes SQLite's write (RESERVED) lock in a deferred
# transaction; this one changes nothing.
_TAKE_WRITE_LOCK = text("DELETE FROM events WHERE 0")


class SqliteEventStore(SqlAlchemyEventStore):
    """``EventStore`` on a SQLite file, in WAL mode so readers never wait for the writer.

    Args:
        url: ``sqlite+aiosqlite:///path/to/file.db``.
        engine_options: Extra ``create_async_engine`` keyword arguments.
    """

    def __init__(self, url: str, **engine_options: Any) -> None:
        super().__init__(url, **engine_options)
        event.listen(self.engine.sync_engine, "connect", _enable_wal)

    def _engine_options(self) -> dict[str, Any]:
        # Wait up to 30 s for a competing writer's lock instead of failing at once.
        return {"connect_args": {"timeout": 30}}

    async def _lock_for_append(self, conn: AsyncConnection) -> None:
        await conn.execute(_TAKE_WRITE_LOCK)

    def _upsert_snapshot(self, row: dict[str, Any]) -> Executable:
        statement = insert(snapshots_table).values(row)
        return statement.on_conflict_do_update(
            index_elements=["aggregate_type", "aggregate_id"],
            set_={name: statement.excluded[name] for name in ("version", "state", "schema_fingerprint", "recorded_at")},
            # A slow writer must not replace a newer snapshot with an older one.
            where=snapshots_table.c.version < statement.excluded.version,
        )


def _enable_wal(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
