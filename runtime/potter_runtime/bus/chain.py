"""The standard middleware stacks, composed in one place.

Order, outermost first, and why:
- tracing, metrics, logging: see every outcome, replays and cache hits included;
- idempotency (commands): a replay must not run anything below it;
- cache invalidation (commands): after the command ends, before its answer;
- cache (queries): a hit skips the deadline and the handler;
- timeout: bounds the handler alone, so a replay or a hit is never cut short.
An async-command middleware (202 + operation) goes between idempotency and
cache invalidation when it exists.
"""

from __future__ import annotations

from collections.abc import Sequence

from potter_runtime.bus.cache import CacheInvalidationMiddleware, CacheMiddleware
from potter_runtime.bus.core import CommandBus, Middleware, QueryBus
from potter_runtime.bus.idempotency import IdempotencyMiddleware
from potter_runtime.bus.logging import LoggingContextMiddleware
from potter_runtime.bus.metrics import MetricsMiddleware
from potter_runtime.bus.timeout import TimeoutMiddleware
from potter_runtime.bus.tracing import TracingMiddleware
from potter_runtime.cache.port import QueryCache
from potter_runtime.idempotency.port import IdempotencyStore
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
