"""``IdempotencyStore`` on the service's database (SQLite or PostgreSQL, SQLAlchemy 2 async).

A claim is one statement: ``INSERT … ON CONFLICT (key) DO NOTHING
RETURNING key`` (both dialects), so of concurrent duplicates exactly one
inserts, whatever their timing; the rest read the row that won. An expired
row, or an in-flight row whose lock ran out and that was not applied, is
taken over by a conditional UPDATE, which again only one claimer can win.

Cost: an idempotent command must stay close to a plain one (issue 14: at most
1.2× its latency), so only the events' own transaction waits for the disk,
and nothing is added to it: the events carry the key in their metadata.
The claim, the stored result and a release are single autocommit statements
on a pool of the store's own that does not wait for a flush (PostgreSQL
``synchronous_commit = off``; SQLite ``synchronous = NORMAL`` in WAL mode). On PostgreSQL the
claims of concurrent requests share one statement, as do their results
(``potter_runtime.idempotency.batch``). That is safe because both logs are
sequential: the events' commit flushes every earlier record, the claim
included. A crash can lose only a result written after the events; a claim
whose lock ran out is then found "applied" by its events (a scan of their
metadata, on that rare path only) and answers 409 instead of executing twice.
This module holds all of the idempotency SQL; it must not know about buses.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import DateTime, Row, String, Text, bindparam, delete, event, null, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from potter_runtime.idempotency.batch import Batcher
from potter_runtime.idempotency.port import IdempotencyRecord
from potter_runtime.store.driver import DriverStatement, HeldDriverConnection
from potter_runtime.store.schema import events_table as events
from potter_runtime.store.schema import idempotency_keys_table as keys

logger = logging.getLogger(__name__)

T = TypeVar("T")

DAY_SECONDS = 24 * 60 * 60

#: How long a stored answer waits for others to share its statement (seconds).
#: A duplicate arriving meanwhile finds its key in flight and polls for the answer.
#: Each batch costs a round trip and a plan (~0.13 ms of PostgreSQL CPU, custom
#: plans below): at ~1,000 answers a second, 25 ms makes batches of ~20.
COMPLETION_LINGER_SECONDS = 0.025

# The columns a claim writes (``result`` stays NULL).
_CLAIM_COLUMNS = ("key", "rpc", "fingerprint", "created_at", "locked_until", "expires_at")

# PostgreSQL only: the claims (and answers) of every request waiting at that moment, one row each.
_CLAIM_BATCH = text(
    f"""INSERT INTO idempotency_keys ({", ".join(_CLAIM_COLUMNS)})
SELECT * FROM unnest({", ".join(f":{name}" for name in _CLAIM_COLUMNS)})
ON CONFLICT (key) DO NOTHING RETURNING key"""
).bindparams(
    *(bindparam(name, type_=postgresql.ARRAY(String)) for name in _CLAIM_COLUMNS[:3]),
    *(bindparam(name, type_=postgresql.ARRAY(DateTime(timezone=True))) for name in _CLAIM_COLUMNS[3:]),
)
_COMPLETE_BATCH = text(
    """UPDATE idempotency_keys AS k SET result = CAST(v.result AS jsonb)
FROM unnest(:keys, :results) AS v(key, result) WHERE k.key = v.key"""
).bindparams(bindparam("keys", type_=postgresql.ARRAY(String)), bindparam("results", type_=postgresql.ARRAY(Text)))


class SqlIdempotencyStore:
    """Idempotency keys in the ``idempotency_keys`` table of the service's database.

    Args:
        engine: The event store's async engine (``event_store.engine``), SQLite
            (aiosqlite) or PostgreSQL (asyncpg): keys live in the events'
            database, whose metadata tells whether a key was applied.
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
        self._postgres = engine.dialect.name == "postgresql"
        self._insert = postgresql.insert if self._postgres else sqlite.insert
        # Built once with bound parameters: constructing and cache-keying a statement per
        # call cost more CPU than the command's own append (profiled under load).
        self._claim_new = (
            self._insert(keys)
            .values({name: bindparam(f"new_{name}", type_=keys.c[name].type) for name in _CLAIM_COLUMNS})
            .values(result=null())
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(keys.c.key)
        )
        self._complete = (
            update(keys)
            .where(keys.c.key == bindparam("done_key", type_=keys.c.key.type))
            .values(result=bindparam("done_result", type_=keys.c.result.type))
        )
        self._own_engine: AsyncEngine | None = None
        self._background: set[asyncio.Task[None]] = set()  # releases for cancelled callers; SQLite answers
        # PostgreSQL: concurrent requests' claims and answers share statements (``batch``).
        self._claims: Batcher[dict[str, Any], bool] | None = None
        self._completions: Batcher[tuple[str, dict[str, Any]], None] | None = None
        self._claim_connection: HeldDriverConnection | None = None
        self._completion_connection: HeldDriverConnection | None = None
        if self._postgres:
            self._claims = Batcher(self._claim_batch, self._claim_one)
            # Answers are stored after the response is sent: they may wait a little to share a batch.
            self._completions = Batcher(
                self._complete_batch, self._complete_one, linger_seconds=COMPLETION_LINGER_SECONDS
            )
            # Its own small pool: autocommit, and commits that do not wait for the WAL flush.
            # No pre-ping (a round trip per checkout): a dropped connection fails one
            # statement, and SQLAlchemy then replaces the pool's connections.
            # As many connections as the store's pool, none opened and closed per request.
            self._own_engine = create_async_engine(
                engine.url,
                isolation_level="AUTOCOMMIT",
                pool_size=_pool_size(engine),
                max_overflow=0,
                # Custom plans: a generic plan of the batched UPDATE, made while the table was
                # small, kept hash-joining it by a full scan as it grew (PostgreSQL "PREPARE", plan_cache_mode).
                connect_args={"server_settings": {"synchronous_commit": "off", "plan_cache_mode": "force_custom_plan"}},
            )
            # The batches run on the driver's connection: a SQLAlchemy Connection per batch cost
            # more client CPU than the statement (store/driver.py).
            self._claim_batch_sql = DriverStatement.of(_CLAIM_BATCH, engine.dialect)
            self._complete_batch_sql = DriverStatement.of(_COMPLETE_BATCH, engine.dialect)
            # Each batcher has one batch in flight at a time: one connection each, kept checked out.
            self._claim_connection = HeldDriverConnection(self._own_engine)
            self._completion_connection = HeldDriverConnection(self._own_engine)
        elif engine.url.database not in (None, "", ":memory:"):
            # Its own pool: autocommit, WAL + synchronous=NORMAL (commits do not fsync).
            self._own_engine = create_async_engine(
                engine.url, isolation_level="AUTOCOMMIT", connect_args={"timeout": 30}
            )
            event.listen(self._own_engine.sync_engine, "connect", _sqlite_unflushed)

    @asynccontextmanager
    async def _connect(self) -> AsyncIterator[AsyncConnection]:
        """A connection whose statements each commit at once, without waiting for the disk."""
        if self._own_engine is None:  # an in-memory SQLite database: one shared connection
            async with self.engine.begin() as conn:
                yield conn
            return
        async with self._own_engine.connect() as conn:
            yield conn

    async def create_schema(self) -> None:
        """Create the ``idempotency_keys`` table if missing."""
        async with self.engine.begin() as conn:
            await conn.run_sync(lambda sync: keys.create(sync, checkfirst=True))

    async def close(self) -> None:
        """Finish the claims, answers and releases under way, then dispose of the store's own pool.

        The shared engine is the event store's and stays open.
        """
        for batcher in (self._claims, self._completions):
            if batcher is not None:
                await batcher.drain()
        while self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        for held in (self._claim_connection, self._completion_connection):
            if held is not None:
                await held.close()
        if self._own_engine is not None:
            await self._own_engine.dispose()

    async def claim(self, key: str, rpc: str, fingerprint: str, *, lock_seconds: float) -> IdempotencyRecord | None:
        """Claim ``key``, or return the record holding it; see ``IdempotencyStore.claim``.

        Each step that may win the key runs shielded from the caller's
        cancellation, and a claim won for a cancelled caller is released.
        On PostgreSQL the first step is a future of the claims' batcher, so
        shielding it takes no task (a task per request showed in the profile).
        """
        now = datetime.now(UTC)
        locked_until, expires_at = now + timedelta(seconds=lock_seconds), now + timedelta(seconds=self.ttl_seconds)
        claim = {
            "new_key": key,
            "new_rpc": rpc,
            "new_fingerprint": fingerprint,
            "new_created_at": now,
            "new_locked_until": locked_until,
            "new_expires_at": expires_at,
        }
        new = (
            self._claims.submit_soon(claim)
            if self._claims is not None
            else asyncio.ensure_future(self._claim_one(claim))
        )
        if await self._shielded(new, key, won=bool):
            return None
        values = {
            "rpc": rpc,
            "fingerprint": fingerprint,
            "result": null(),
            "created_at": now,
            "locked_until": locked_until,
            "expires_at": expires_at,
        }
        taken = asyncio.ensure_future(self._claim_held(key, rpc, fingerprint, lock_seconds, values))
        return await self._shielded(taken, key, won=lambda record: record is None)

    async def _claim_held(
        self, key: str, rpc: str, fingerprint: str, lock_seconds: float, values: dict[str, Any]
    ) -> IdempotencyRecord | None:
        """Take over ``key`` when its record expired or its claimer died unapplied; else return the record."""
        now = values["created_at"]
        async with self._connect() as conn:
            # An expired key is forgotten: the WHERE lets one claimer win it.
            expired = update(keys).where(keys.c.key == key, keys.c.expires_at <= now)
            if (await conn.execute(expired.values(values).returning(keys.c.key))).first() is not None:
                return None
            row = (await conn.execute(select(keys).where(keys.c.key == key))).first()
            if row is None:  # released between the statements: try again
                return await self.claim(key, rpc, fingerprint, lock_seconds=lock_seconds)
            record = _record(row)
            if not (record.in_flight and record.locked_until <= now):
                return record
            # The claimer died (its lock ran out). Took it effect? Its events carry the key.
            applied = select(events.c.position).where(events.c.metadata["idempotencyKey"].as_string() == key).limit(1)
            if (await conn.execute(applied)).first() is not None:
                return replace(record, applied=True)
            dead = update(keys).where(
                keys.c.key == key, keys.c.result.is_(None), keys.c.locked_until == row.locked_until
            )
            if (await conn.execute(dead.values(values).returning(keys.c.key))).first() is not None:
                return None
            return record

    async def _shielded(self, step: asyncio.Future[T], key: str, *, won: Callable[[T], bool]) -> T:
        """Await a claim step; if the caller is cancelled, let it finish and release the key if ``won`` says it won."""
        try:
            return await asyncio.shield(step)
        except asyncio.CancelledError:
            step.add_done_callback(lambda done: self._release_if_won(done, key, won))
            raise

    def _release_if_won(self, step: asyncio.Future[T], key: str, won: Callable[[T], bool]) -> None:
        if step.cancelled() or step.exception() is not None or not won(step.result()):
            return
        self._in_background(self.release(key))

    def _in_background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._released)

    def _released(self, task: asyncio.Task[None]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("could not release an idempotency key whose caller went away", exc_info=task.exception())

    async def _claim_one(self, claim: dict[str, Any]) -> bool:
        """Insert one claim (``new_<column>`` parameters); return whether it was new."""
        async with self._connect() as conn:
            return (await conn.execute(self._claim_new, claim)).first() is not None

    async def _claim_batch(self, claims: Sequence[dict[str, Any]]) -> list[bool]:
        """Insert claims with one statement; return, per claim, whether it was new.

        A key twice in one batch is won by its first claim only (the statement inserts it once).
        """
        columns = {name: [claim[f"new_{name}"] for claim in claims] for name in _CLAIM_COLUMNS}
        assert self._claim_connection is not None  # batches are PostgreSQL's
        statement = self._claim_batch_sql
        async with self._claim_connection.lend(statement.sql) as driver:
            inserted = {row[0] for row in await driver.fetch(statement.sql, *statement.arguments(columns))}
        won = []
        for claim in claims:
            won.append(claim["new_key"] in inserted)
            inserted.discard(claim["new_key"])
        return won

    async def complete(self, key: str, result: dict[str, Any]) -> None:
        """Store the result of the claim on ``key``."""
        await self.complete_later(key, result)

    def complete_later(self, key: str, result: dict[str, Any]) -> asyncio.Future[None]:
        """Start storing the result of the claim on ``key``; see ``IdempotencyStore.complete_later``.

        On PostgreSQL the result joins the next batch of answers, with no task of its own.
        """
        if self._completions is not None:
            return self._completions.submit_soon((key, result))
        task = asyncio.ensure_future(self._complete_one((key, result)))
        self._background.add(task)  # ``close`` waits for it too
        task.add_done_callback(self._background.discard)
        return task

    async def _complete_one(self, completion: tuple[str, dict[str, Any]]) -> None:
        key, result = completion
        async with self._connect() as conn:
            await conn.execute(self._complete, {"done_key": key, "done_result": result})

    async def _complete_batch(self, completions: Sequence[tuple[str, dict[str, Any]]]) -> list[None]:
        parameters = {
            "keys": [key for key, _ in completions],
            "results": [json.dumps(result) for _, result in completions],
        }
        assert self._completion_connection is not None  # batches are PostgreSQL's
        statement = self._complete_batch_sql
        async with self._completion_connection.lend(statement.sql) as driver:
            await driver.execute(statement.sql, *statement.arguments(parameters))
        return [None] * len(completions)

    async def release(self, key: str) -> None:
        """Delete the in-flight claim on ``key`` (a stored result stays)."""
        async with self._connect() as conn:
            await conn.execute(delete(keys).where(keys.c.key == key, keys.c.result.is_(None)))

    async def get(self, key: str) -> IdempotencyRecord | None:
        """Return the record of ``key``, or None when there is none (expired ones included)."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(keys).where(keys.c.key == key))).first()
        return None if row is None else _record(row)

    async def purge_expired(self) -> int:
        """Delete keys past their expiry; return how many."""
        async with self._connect() as conn:
            deleted = await conn.execute(delete(keys).where(keys.c.expires_at <= datetime.now(UTC)))
        return int(deleted.rowcount)


def _sqlite_unflushed(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _record(row: Row[Any]) -> IdempotencyRecord:
    return IdempotencyRecord(
        key=row.key,
        rpc=row.rpc,
        fingerprint=row.fingerprint,
        result=row.result,
        created_at=_as_utc(row.created_at),
        locked_until=_as_utc(row.locked_until),
        expires_at=_as_utc(row.expires_at),
    )


def _as_utc(value: datetime) -> datetime:
    # SQLite drops the offset on DateTime(timezone=True); values were written in UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _pool_size(engine: AsyncEngine, default: int = 10) -> int:
    """Return how many connections ``engine``'s pool keeps (``default`` when its pool has no size)."""
    size = getattr(engine.pool, "size", None)
    return int(size()) if callable(size) else default
