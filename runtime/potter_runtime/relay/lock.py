"""The relay's leadership lock: at most one active relay per outbox across replicas.

PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) held on a
dedicated connection for as long as the relay runs; if that connection drops,
PostgreSQL releases the lock, ``ensure_held`` fails and the relay stops
publishing. PostgreSQL docs, "Advisory Locks".

SQLite: one process per database file is assumed (the embedded default); the
lock only keeps two relays of one outbox apart inside this process.
This module must not publish or read events.
"""

from __future__ import annotations

import hashlib
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


class LockLostError(RuntimeError):
    """The relay no longer holds its lock; it must stop publishing."""


class RelayLock(Protocol):
    """A lock that one relay holds while it publishes."""

    async def try_acquire(self) -> bool:
        """Take the lock if free; return whether this relay now holds it (never waits)."""
        ...

    async def ensure_held(self) -> None:
        """Return if the lock is still held.

        Raises:
            LockLostError: It was lost (connection dropped) or never taken.
        """
        ...

    async def release(self) -> None:
        """Give the lock up (no-op when not held)."""
        ...


def lock_key(name: str) -> int:
    """Return the signed 64-bit advisory lock key of a lock name (stable across processes)."""
    digest = hashlib.blake2b(f"potter-relay:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PostgresAdvisoryLock:
    """A session-level PostgreSQL advisory lock on a connection of its own.

    Args:
        engine: Engine of the database holding the outbox.
        name: Lock name, e.g. ``"relay:LIBRARY_EVENTS"``; hashed to the 64-bit key.
    """

    def __init__(self, engine: AsyncEngine, name: str) -> None:
        self.engine = engine
        self.name = name
        self.key = lock_key(name)
        self._conn: AsyncConnection | None = None

    async def try_acquire(self) -> bool:
        """Take the lock if no other session holds it; see ``RelayLock.try_acquire``.

        Raises:
            sqlalchemy.exc.DBAPIError: The database is unreachable.
        """
        if self._conn is not None:
            return True
        conn = await self.engine.connect()
        try:
            # AUTOCOMMIT: the lock is session-level, and no transaction stays open on this connection.
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            acquired = bool(await conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}))
        except BaseException:
            await conn.close()
            raise
        if not acquired:
            await conn.close()
            return False
        self._conn = conn
        return True

    async def ensure_held(self) -> None:
        """Check the lock's connection still answers; see ``RelayLock.ensure_held``.

        Raises:
            LockLostError: The lock was never taken or its connection failed.
        """
        if self._conn is None:
            raise LockLostError(f"relay lock {self.name!r} is not held")
        try:
            await self._conn.scalar(text("SELECT 1"))
        except Exception as exc:
            await self._discard()
            raise LockLostError(f"relay lock {self.name!r} lost with its connection: {exc}") from exc

    async def release(self) -> None:
        """Unlock and return the connection; a broken connection has released it already."""
        if self._conn is None:
            return
        try:
            await self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
        except Exception:
            pass  # the session is gone, and the lock with it
        await self._discard()

    async def _discard(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.close()
            except Exception:
                await conn.invalidate()


# Locks taken by LocalLock in this process, by name.
_local_holders: set[str] = set()


class LocalLock:
    """A lock inside this process only, for SQLite (one process per database file assumed).

    Args:
        name: Lock name; two ``LocalLock`` objects of one name exclude each other.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._held = False

    async def try_acquire(self) -> bool:
        """Take the lock if no other ``LocalLock`` of this name in the process holds it."""
        if self._held:
            return True
        if self.name in _local_holders:
            return False
        _local_holders.add(self.name)
        self._held = True
        return True

    async def ensure_held(self) -> None:
        """Raise ``LockLostError`` unless ``try_acquire`` succeeded and ``release`` was not called."""
        if not self._held:
            raise LockLostError(f"relay lock {self.name!r} is not held")

    async def release(self) -> None:
        """Give the lock up."""
        if self._held:
            _local_holders.discard(self.name)
            self._held = False


def relay_lock_for(engine: AsyncEngine, name: str) -> RelayLock:
    """Return the lock suited to the engine's database: advisory on PostgreSQL, local elsewhere.

    Args:
        engine: Engine of the outbox's database.
        name: Lock name, e.g. ``"relay:LIBRARY_EVENTS"``.
    """
    if engine.dialect.name == "postgresql":
        return PostgresAdvisoryLock(engine, name)
    return LocalLock(f"{engine.url}#{name}")
