"""The standard middleware stacks, composed in one place.

Order, outermost first, and why:
- tracing, metrics, logging: see every outcome, replays and cache hits included;
- idempotency (commands): a replay must not run anything below it;
- cache invalidation (commands): after the command ends, before its answer;
- cache (queries): a hit skips the deadline and the handler;
- timeout: bounds the handler alone, so a replay or a hit is never cut short.
The async-command middleware (202 + operation, ``potter_runtime.operations``)
comes in as ``command_middleware``, just outside the timeout: inside
idempotency, so a key replays the operation; a worker's execution of the
command then passes through cache invalidation and the timeout as a
synchronous one does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from potter_runtime.bus.cache import CacheInvalidationMiddleware, CacheMiddleware
from potter_runtime.bus.core import CommandBus, Middleware, QueryBus
from potter_runtime.bus.idempotency import IdempotencyMiddleware
from potter_runtime.bus.logging import LoggingContextMiddleware
from potter_runtime.bus.metrics import MetricsMiddleware
from potter_runtime.bus.timeout import TimeoutMiddleware
from potter_runtime.bus.tracing import TracingMiddleware
from potter_runtime.cache import open_query_cache
from potter_runtime.cache.port import QueryCache
from potter_runtime.idempotency.port import IdempotencyStore
from potter_runtime.idempotency.sql import DAY_SECONDS, SqlIdempotencyStore
from potter_runtime.observability.metrics import BusMetrics


def _observing(metrics: BusMetrics | None) -> list[Middleware]:
    layers: list[Middleware] = [TracingMiddleware()]
    if metrics is not None:
        layers.append(MetricsMiddleware(metrics))
    layers.append(LoggingContextMiddleware())
    return layers


def build_command_bus(
    *,
    idempotency: IdempotencyStore | None = None,
    cache: QueryCache | None = None,
    metrics: BusMetrics | None = None,
    extra: Sequence[Middleware] = (),
) -> CommandBus:
    """Return a command bus with the standard middleware.

    Args:
        idempotency: Where idempotency keys live (``SqlIdempotencyStore``);
            None serves ``idempotent`` commands without honouring keys.
        cache: The query bus's cache, invalidated by commands; None for none.
        metrics: Where to record metrics; None records none.
        extra: Middleware put just outside the timeout (innermost but one).
    """
    layers = _observing(metrics)
    if idempotency is not None:
        layers.append(IdempotencyMiddleware(idempotency))
    if cache is not None:
        layers.append(CacheInvalidationMiddleware(cache))
    layers.extend(extra)
    layers.append(TimeoutMiddleware())
    return CommandBus(layers)


def build_query_bus(
    *,
    cache: QueryCache | None = None,
    metrics: BusMetrics | None = None,
    extra: Sequence[Middleware] = (),
) -> QueryBus:
    """Return a query bus with the standard middleware.

    Args:
        cache: Cache of ``cacheable`` queries (``open_query_cache``); None caches nothing.
        metrics: Where to record metrics; None records none.
        extra: Middleware put just outside the timeout.
    """
    layers = _observing(metrics)
    if cache is not None:
        layers.append(CacheMiddleware(cache))
    layers.extend(extra)
    layers.append(TimeoutMiddleware())
    return QueryBus(layers)


@dataclass
class ServiceBuses:
    """A service's buses and the adapters their middleware use.

    Attributes:
        commands: The command bus; register command handlers on it.
        queries: The query bus; register query handlers on it.
        metrics: The metrics both record (serve ``metrics.registry`` at ``/metrics``).
        cache: The query cache (memory or Redis).
        idempotency: The idempotency key store (on the event store's database).
    """

    commands: CommandBus
    queries: QueryBus
    metrics: BusMetrics
    cache: QueryCache
    idempotency: SqlIdempotencyStore

    async def aclose(self) -> None:
        """Finish pending writes, then close the cache and idempotency connections (not the engine)."""
        await self.commands.aclose()
        await self.queries.aclose()
        await self.idempotency.close()
        await self.cache.close()


def build_service_buses(
    engine: AsyncEngine,
    *,
    redis_url: str | None = None,
    cache_prefix: str = "potter:cache:",
    idempotency_key_ttl_seconds: float = DAY_SECONDS,
    metrics: BusMetrics | None = None,
    command_middleware: Sequence[Middleware] = (),
) -> ServiceBuses:
    """Return both buses with the standard middleware, for a generated bootstrap.

    Args:
        engine: The event store's engine (``event_store.engine``); idempotency keys live beside the events.
        redis_url: Redis for the query cache (settings ``redis_url``); None for in-memory.
        cache_prefix: Key prefix in Redis, e.g. ``"<service>:cache:"``.
        idempotency_key_ttl_seconds: Lifetime of idempotency keys (float, seconds).
        metrics: Metrics to record in; a new ``BusMetrics`` when None.
        command_middleware: Further command middleware, just outside the timeout
            (e.g. ``Operations.middleware`` for async commands).

    Raises:
        ValueError: The engine is neither SQLite nor PostgreSQL.
    """
    metrics = metrics if metrics is not None else BusMetrics()
    cache = open_query_cache(redis_url, prefix=cache_prefix)
    idempotency = SqlIdempotencyStore(engine, ttl_seconds=idempotency_key_ttl_seconds)
    return ServiceBuses(
        commands=build_command_bus(idempotency=idempotency, cache=cache, metrics=metrics, extra=command_middleware),
        queries=build_query_bus(cache=cache, metrics=metrics),
        metrics=metrics,
        cache=cache,
        idempotency=idempotency,
    )
