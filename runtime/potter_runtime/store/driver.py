"""One statement on a pooled connection's asyncpg connection: the PostgreSQL hot path, below SQLAlchemy's ``Connection``.

A command's append and the batched idempotency statements run many times a
second; through a SQLAlchemy ``Connection`` each costs more client CPU than
the rest of the request's storage work (an append: 370 µs, against 140 µs on
the driver connection, measured on the bench machine). Here a statement
borrows the asyncpg connection of one of the engine's pooled connections
(``AsyncEngine.raw_connection``), so pooling, pre-ping and connection limits
stay SQLAlchemy's, and errors are raised as SQLAlchemy raises them.
PostgreSQL (asyncpg) only; the statement must be one autocommit statement.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
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
            pooled), or a failure without a SQLSTATE, e.g. a lost connection
            (``connection_invalidated`` is True; the connection is discarded).

    A server error leaves the connection usable; any other failure,
    cancellation included, may leave it mid-protocol, so it is discarded, as
    a SQLAlchemy ``Connection`` discards it. Discarding runs in a greenlet,
    where SQLAlchemy closes the asyncpg connection gracefully: a cancelled
    statement's CancelRequest still reaches the server, so a statement
    waiting for a lock does not commit after its caller gave up.
    """
    pooled = await engine.raw_connection()
    try:
        yield pooled.driver_connection
    except Exception as error:
        sqlstate = getattr(error, "sqlstate", None)
        if sqlstate is None:
            await greenlet_spawn(pooled.invalidate, error)
            raise DBAPIError(sql, None, error, connection_invalidated=True) from error
        if sqlstate.startswith("23"):  # SQLSTATE class 23: integrity constraint violation
            raise IntegrityError(sql, None, error) from error
        raise DBAPIError(sql, None, error) from error
    except BaseException:
        await greenlet_spawn(pooled.invalidate)
        raise
    finally:
        await greenlet_spawn(pooled.close)
