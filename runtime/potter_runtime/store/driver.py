"""One statement on a pooled connection's asyncpg connection: the PostgreSQL hot path, below SQLAlchemy's ``Connection``.

A command's append and the batched idempotency statements run many times a
second; through a SQLAlchemy ``Connection`` each costs more client CPU than
the rest of the request's storage work (an append: 370 µs, against 140 µs on
the driver connection, measured on the bench machine). Here a statement
borrows the asyncpg connection of one of the engine's pooled connections
(``AsyncEngine.raw_connection``), so pooling, pre-ping and connection limits
stay SQLAlchemy's, and errors are raised as SQLAlchemy raises them;
``HeldDriverConnection`` keeps one checked out for a caller that sends one
statement after another. PostgreSQL (asyncpg) only; each statement must be
one autocommit statement.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.util import greenlet_spawn


@dataclass(frozen=True)
class DriverStatement:
    """A SQLAlchemy statement compiled once to the driver's SQL and the order of its parameters.

    Attributes:
        sql: The statement with asyncpg's ``$1``, ``$2``… placeholders.
        names: The bound parameters' names, in placeholder order.
    """

    sql: str
    names: tuple[str, ...]

    @classmethod
    def of(cls, statement: ClauseElement, dialect: Dialect) -> DriverStatement:
        """Compile ``statement`` (``text()`` or Core) for ``dialect`` (the engine's asyncpg dialect)."""
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        return cls(str(compiled), tuple(compiled.positiontup or ()))

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        """Return ``params`` as asyncpg's positional arguments.

        Raises:
            KeyError: A parameter of the statement is missing from ``params``.
        """
        return [params[name] for name in self.names]


@asynccontextmanager
async def driver_connection(engine: AsyncEngine, sql: str) -> AsyncIterator[Any]:
    """Lend the ``asyncpg.Connection`` of one of ``engine``'s pooled connections, for one autocommit statement.

    Args:
        engine: An engine of the ``postgresql+asyncpg`` dialect.
        sql: The statement about to run, for the errors' text.

    Raises:
        sqlalchemy.exc.IntegrityError: The statement broke a constraint (SQLSTATE class 23).
        sqlalchemy.exc.DBAPIError: Another server error (the connection stays
            pooled), or a lost connection: a failure without a SQLSTATE, or
            one after which the connection is closed (``connection_invalidated``
            is True; the connection is discarded).

    A server error leaves the connection usable; any other failure,
    cancellation included, may leave it mid-protocol, so it is discarded, as
    a SQLAlchemy ``Connection`` discards it. Discarding runs in a greenlet,
    where SQLAlchemy closes the asyncpg connection gracefully: a cancelled
    statement's CancelRequest still reaches the server, so a statement
    waiting for a lock does not commit after its caller gave up.
    """
    pooled = await engine.raw_connection()
    try:
        async with _statement_failures(pooled, sql):
            yield pooled.driver_connection
    finally:
        await greenlet_spawn(pooled.close)


class HeldDriverConnection:
    """One of ``engine``'s pooled connections, kept checked out from one statement to the next.

    For a caller with one statement in flight at a time that runs many a
    second (a ``Batcher``): checking a connection out of SQLAlchemy's pool
    and back in costs two greenlet switches and the pool's bookkeeping,
    ~75 µs of CPU, more than half of what the service spends on a batch of
    one idempotency claim (measured: 195 → 120 µs). Statements run one at a
    time (a lock), and fail as with ``driver_connection``: a connection that
    may be mid-protocol is discarded, and the next statement checks out
    another. ``close`` returns the connection to the pool.

    Args:
        engine: An engine of the ``postgresql+asyncpg`` dialect.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._pooled: PoolProxiedConnection | None = None
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def lend(self, sql: str) -> AsyncIterator[Any]:
        """Lend the held ``asyncpg.Connection`` (checked out first if none is held) for one autocommit statement.

        Raises:
            sqlalchemy.exc.IntegrityError: As ``driver_connection``.
            sqlalchemy.exc.DBAPIError: As ``driver_connection``; a discarded
                connection is no longer held.
        """
        async with self._lock:
            if self._pooled is None:
                self._pooled = await self.engine.raw_connection()
            pooled = self._pooled
            try:
                async with _statement_failures(pooled, sql):
                    yield pooled.driver_connection
            finally:
                if not pooled.is_valid:  # discarded: check out another next time
                    self._pooled = None

    async def close(self) -> None:
        """Return the held connection to the pool, after the statement in flight if any."""
        async with self._lock:
            pooled, self._pooled = self._pooled, None
            if pooled is not None:
                await greenlet_spawn(pooled.close)


@asynccontextmanager
async def _statement_failures(pooled: PoolProxiedConnection, sql: str) -> AsyncIterator[None]:
    """Raise a failure of the statement on ``pooled`` as SQLAlchemy does; discard ``pooled`` unless the server answered."""
    try:
        yield
    except Exception as error:
        sqlstate = getattr(error, "sqlstate", None)
        # No SQLSTATE, or the server ended the session (e.g. FATAL 57P01 after pg_terminate_backend,
        # raised with SQLSTATE 08003): the connection is gone.
        if sqlstate is None or _closed(pooled):
            await greenlet_spawn(pooled.invalidate, error)
            raise DBAPIError(sql, None, error, connection_invalidated=True) from error
        if sqlstate.startswith("23"):  # SQLSTATE class 23: integrity constraint violation
            raise IntegrityError(sql, None, error) from error
        raise DBAPIError(sql, None, error) from error
    except BaseException:
        await greenlet_spawn(pooled.invalidate)
        raise


def _closed(pooled: PoolProxiedConnection) -> bool:
    driver = pooled.driver_connection
    return driver is None or bool(driver.is_closed())
