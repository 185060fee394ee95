"""``IdempotencyStore`` on the service's database (SQLite or PostgreSQL, SQLAlchemy 2 async).

A claim is one transaction: ``INSERT … ON CONFLICT (key) DO NOTHING
RETURNING key`` (both dialects), so of concurrent duplicates exactly one
inserts, whatever their timing; the rest read the row that won. An expired
row, or an in-flight row whose lock ran out, is taken over by a conditional
UPDATE in the same transaction, which again only one claimer can win.
This module holds all of the idempotency SQL; it must not know about buses.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, delete, null, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from potter_runtime.idempotency.port import IdempotencyRecord
from potter_runtime.store.schema import idempotency_keys_table as keys

DAY_SECONDS = 24 * 60 * 60


class SqlIdempotencyStore:
    """Idempotency keys in the ``idempotency_keys`` table of the service's database.

    Args:
        engine: The service's async engine (e.g. ``event_store.engine``),
            SQLite (aiosqlite) or PostgreSQL (asyncpg).
        ttl_seconds: How long a key is remembered after its first use (float,
            seconds; default 24 h, as Stripe and the IETF draft's examples do).

    Raises:
        ValueError: The engine is neither SQLite nor PostgreSQL, or ``ttl_seconds`` <= 0.
    """

    def __init__(self, engine: AsyncEngine, *, ttl_seconds: float = DAY_SECONDS) -> None:
        if engine.dialect.name not in ("sqlite", "postgresql"):
            raise ValueError(f"idempotency keys need SQLite or PostgreSQL, not {engine.dialect.name}")
        if ttl_seconds <= 0:
            raise ValueError(f"ttl_seconds must be positive, got {ttl_seconds}")
        self.engine = engine
        self.ttl_seconds = ttl_seconds
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    async def create_schema(self) -> None:
        """Create the ``idempotency_keys`` table if missing."""
        async with self.engine.begin() as conn:
            await conn.run_sync(lambda sync: keys.create(sync, checkfirst=True))

    async def claim(self, key: str, rpc: str, fingerprint: str, *, lock_seconds: float) -> IdempotencyRecord | None:
        """Claim ``key``, or return the record holding it; see ``IdempotencyStore.claim``."""
        now = datetime.now(UTC)
        values = {
            "rpc": rpc,
            "fingerprint": fingerprint,
            "result": null(),
            "created_at": now,
            "locked_until": now + timedelta(seconds=lock_seconds),
            "expires_at": now + timedelta(seconds=self.ttl_seconds),
        }
        async with self.engine.begin() as conn:
            inserted = await conn.execute(
                self._insert(keys)
                .values(key=key, **values)
                .on_conflict_do_nothing(index_elements=["key"])
                .returning(keys.c.key)
            )
            if inserted.first() is not None:
                return None
            # The row can only be replaced when it is dead; the WHERE makes one claimer win.
            taken_over = await conn.execute(
                update(keys)
                .where(
                    keys.c.key == key,
                    or_(keys.c.expires_at <= now, and_(keys.c.result.is_(None), keys.c.locked_until <= now)),
                )
                .values(values)
                .returning(keys.c.key)
            )
            if taken_over.first() is not None:
                return None
            row = (await conn.execute(select(keys).where(keys.c.key == key))).first()
        if row is None:  # released between the insert and the read: try again
            return await self.claim(key, rpc, fingerprint, lock_seconds=lock_seconds)
        return _record(row)

    async def complete(self, key: str, result: dict[str, Any]) -> None:
        """Store the result of the claim on ``key``."""
        async with self.engine.begin() as conn:
            await conn.execute(update(keys).where(keys.c.key == key).values(result=result))

    async def release(self, key: str) -> None:
        """Delete the in-flight claim on ``key`` (a completed result stays)."""
        async with self.engine.begin() as conn:
            await conn.execute(delete(keys).where(keys.c.key == key, keys.c.result.is_(None)))

    async def get(self, key: str) -> IdempotencyRecord | None:
        """Return the record of ``key``, or None when there is none (expired ones included)."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(keys).where(keys.c.key == key))).first()
        return None if row is None else _record(row)

    async def purge_expired(self) -> int:
        """Delete keys past their expiry; return how many."""
        async with self.engine.begin() as conn:
            deleted = await conn.execute(delete(keys).where(keys.c.expires_at <= datetime.now(UTC)))
        return int(deleted.rowcount)


def _record(row: Row[Any]) -> IdempotencyRecord:
    return IdempotencyRecord(
        key=row.key,
        rpc=row.rpc,
        fingerprint=row.fingerprint,
        result=row.result,
        created_at=_as_utc(row.created_at),
        expires_at=_as_utc(row.expires_at),
    )


def _as_utc(value: datetime) -> datetime:
    # SQLite drops the offset on DateTime(timezone=True); values were written in UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
