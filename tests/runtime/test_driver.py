"""``HeldDriverConnection``: one pooled asyncpg connection kept for statement after statement (real PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from potter_runtime.store.driver import HeldDriverConnection

pytestmark = pytest.mark.anyio

PID = "SELECT pg_backend_pid()"


@pytest.fixture
async def engine(fresh_postgres_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(fresh_postgres_url, pool_size=2, max_overflow=0)
    yield engine
    await engine.dispose()


async def _pid(held: HeldDriverConnection) -> int:
    async with held.lend(PID) as driver:
        return int(await driver.fetchval(PID))


async def _fetchval(engine: AsyncEngine, sql: str, *arguments: object) -> object:
    """Run ``sql`` on another of ``engine``'s connections; return its first value."""
    async with engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        return await driver.fetchval(sql, *arguments)


async def _terminate(engine: AsyncEngine, pid: int) -> None:
    await _fetchval(engine, "SELECT pg_terminate_backend($1)", pid)


async def test_statements_share_one_connection_and_close_returns_it_to_the_pool(engine: AsyncEngine) -> None:
    held = HeldDriverConnection(engine)
    pids = {await _pid(held) for _ in range(3)}
    assert len(pids) == 1
    assert engine.pool.checkedout() == 1  # type: ignore[attr-defined]
    await held.close()
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_a_server_error_keeps_the_connection(engine: AsyncEngine) -> None:
    held = HeldDriverConnection(engine)
    first = await _pid(held)
    with pytest.raises(DBAPIError) as failure:
        async with held.lend("SELECT 1 / 0") as driver:
            await driver.execute("SELECT 1 / 0")
    assert not failure.value.connection_invalidated
    assert await _pid(held) == first
    await held.close()


async def test_a_connection_the_server_closed_is_discarded_and_the_next_statement_gets_another(
    engine: AsyncEngine,
) -> None:
    held = HeldDriverConnection(engine)
    first = await _pid(held)
    await _terminate(engine, first)
    with pytest.raises(DBAPIError) as failure:
        await _pid(held)
    assert failure.value.connection_invalidated
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert await _pid(held) != first
    await held.close()


async def test_a_cancelled_statement_is_cancelled_on_the_server_and_its_connection_discarded(
    engine: AsyncEngine,
) -> None:
    held = HeldDriverConnection(engine)
    first = await _pid(held)

    async def sleep() -> None:
        async with held.lend("SELECT pg_sleep(30)") as driver:
            await driver.execute("SELECT pg_sleep(30)")

    sleeping = asyncio.create_task(sleep())
    await asyncio.sleep(0.3)
    sleeping.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sleeping
    assert await _pid(held) != first
    still = await _fetchval(engine, "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)'")
    assert still == 0
    await held.close()
