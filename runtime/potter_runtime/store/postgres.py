"""``EventStore`` on PostgreSQL (SQLAlchemy 2 async over asyncpg).

Positions come from a BIGSERIAL, which hands out numbers in insert order, not
commit order: without care a reader could see position 8 committed while 7 is
still in flight, move its checkpoint past 7 and never see it. So every append
takes ``LOCK TABLE events IN EXCLUSIVE MODE`` first (the approach of the
``eventsourcing`` library's PostgreSQL recorder): appends run one at a time and
commit in position order, while SELECTs (ACCESS SHARE) are never blocked.
PostgreSQL docs, "Explicit Locking", table-level lock modes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Executable, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from potter_runtime.store.schema import events_table, snapshots_table
from potter_runtime.store.sql import SqlAlchemyEventStore


class PostgresEventStore(SqlAlchemyEventStore):
    """``EventStore`` on PostgreSQL.

    Args:
        url: ``postgresql+asyncpg://user:password@host:5432/database``.
        lock_timeout: Longest wait for the append lock (seconds, > 0), after
            which the append fails with ``sqlalchemy.exc.DBAPIError``; None
            waits as long as PostgreSQL's own ``lock_timeout`` setting allows.
        engine_options: Extra ``create_async_engine`` keyword arguments, e.g.
            ``pool_size`` (connections kept open, int).
    """

    def __init__(self, url: str, *, lock_timeout: float | None = None, **engine_options: Any) -> None:
        super().__init__(url, **engine_options)
        self.lock_timeout = lock_timeout

    def _engine_options(self) -> dict[str, Any]:
        # Drop connections the server closed (restart, idle timeout) before use.
        return {"pool_pre_ping": True}

    async def _lock_for_append(self, conn: AsyncConnection) -> None:
        if self.lock_timeout is not None:
            milliseconds = max(1, round(self.lock_timeout * 1000))
            await conn.execute(text(f"SET LOCAL lock_timeout = {milliseconds}"))
        await conn.execute(text(f"LOCK TABLE {events_table.name} IN EXCLUSIVE MODE"))

    def _upsert_snapshot(self, row: dict[str, Any]) -> Executable:
        statement = insert(snapshots_table).values(row)
        return statement.on_conflict_do_update(
            index_elements=["aggregate_type", "aggregate_id"],
            set_={name: statement.excluded[name] for name in ("version", "state", "schema_fingerprint", "recorded_at")},
            # A slow writer must not replace a newer snapshot with an older one.
            where=snapshots_table.c.version < statement.excluded.version,
        )
