"""Command and query buses and their middleware: the one way transports reach handlers.

Import bus names from here (the stable facade). A generated bootstrap does::

    commands = CommandBus([TracingMiddleware(), MetricsMiddleware(metrics), LoggingContextMiddleware(),
                           IdempotencyMiddleware(SqlIdempotencyStore(engine)),
                           CacheInvalidationMiddleware(cache), TimeoutMiddleware()])
    queries = QueryBus([TracingMiddleware(), MetricsMiddleware(metrics), LoggingContextMiddleware(),
                        CacheMiddleware(cache), TimeoutMiddleware()])
    commands.register(CreateItemHandler(repository))

(``build_command_bus`` / ``build_query_bus`` do exactly that, and
``build_service_buses(event_store.engine, redis_url=...)`` builds both with
their adapters), and a
transport calls ``await commands.dispatch("CreateItem", request, context)``.
Middleware that needs another library (redis, prometheus-client,
opentelemetry-api) is imported on first use (PEP 562).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from potter_runtime.bus.context import (
    DispatchContext,
    appended_aggregate_types,
    appended_event_counts,
    claimed_idempotency_key,
    current_context,
    dispatch_scope,
    record_append,
)
from potter_runtime.bus.core import (
    CallNext,
    CommandBus,
    Dispatch,
    Middleware,
    QueryBus,
    Registration,
    Reply,
    response_type_of,
)
from potter_runtime.bus.idempotency import IdempotencyMiddleware
from potter_runtime.bus.timeout import TimeoutMiddleware

if TYPE_CHECKING:
    from potter_runtime.bus.cache import CacheInvalidationMiddleware, CacheMiddleware
    from potter_runtime.bus.chain import ServiceBuses, build_command_bus, build_query_bus, build_service_buses
    from potter_runtime.bus.logging import LoggingContextMiddleware
    from potter_runtime.bus.metrics import BusMetrics, MetricsMiddleware
    from potter_runtime.bus.tracing import TracingMiddleware

_LAZY = {
    "BusMetrics": "metrics",
    "CacheInvalidationMiddleware": "cache",
    "CacheMiddleware": "cache",
    "LoggingContextMiddleware": "logging",
    "MetricsMiddleware": "metrics",
    "TracingMiddleware": "tracing",
    "ServiceBuses": "chain",
    "build_command_bus": "chain",
    "build_query_bus": "chain",
    "build_service_buses": "chain",
}

__all__ = [
    "BusMetrics",
    "CacheInvalidationMiddleware",
    "CacheMiddleware",
    "CallNext",
    "CommandBus",
    "Dispatch",
    "DispatchContext",
    "IdempotencyMiddleware",
    "LoggingContextMiddleware",
    "MetricsMiddleware",
    "Middleware",
    "QueryBus",
    "Registration",
    "Reply",
    "ServiceBuses",
    "TimeoutMiddleware",
    "TracingMiddleware",
    "appended_aggregate_types",
    "appended_event_counts",
    "claimed_idempotency_key",
    "build_command_bus",
    "build_query_bus",
    "build_service_buses",
    "current_context",
    "dispatch_scope",
    "record_append",
    "response_type_of",
]


def __getattr__(name: str) -> Any:
    """Import the middleware module that defines ``name`` on first access (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'potter_runtime.bus' has no attribute {name!r}")
    return getattr(importlib.import_module(f"potter_runtime.bus.{module}"), name)
