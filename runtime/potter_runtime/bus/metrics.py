"""Metrics middleware: count and time every command and query (``BusMetrics``).

Outermost in the chain, so it sees every outcome: ``OK``, an error's ``code``
(``NOT_FOUND``, ``DEADLINE_EXCEEDED``…), ``INTERNAL`` for an unexpected
exception, ``CANCELLED`` when the caller went away; how the answer was
made (an idempotent replay, a cache hit or miss); and the events it appended.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from potter_runtime.bus.context import appended_event_counts
from potter_runtime.bus.core import CallNext, Dispatch, Registration, Reply
from potter_runtime.errors import ServiceError
from potter_runtime.observability.metrics import BusMetrics

__all__ = ["BusMetrics", "MetricsMiddleware"]


class MetricsMiddleware:
    """Record each dispatch in a ``BusMetrics``.

    Args:
        metrics: The service's metrics (one per process, shared by both buses).
    """

    def __init__(self, metrics: BusMetrics) -> None:
        self.metrics = metrics

    def applies_to(self, registration: Registration) -> bool:
        """Wrap every handler."""
        return True

    async def __call__(self, dispatch: Dispatch, call_next: CallNext) -> Reply[Any]:
        """Run the chain, then count its outcome and observe its duration."""
        registration = dispatch.registration
        is_command = registration.kind == "command"
        started = time.perf_counter()
        outcome = "INTERNAL"
        replayed = False
        try:
            reply = await call_next(dispatch)
            outcome, replayed = "OK", reply.replayed
            if reply.cache_hit is not None:
                result = "hit" if reply.cache_hit else "miss"
                self.metrics.cache_requests.labels(registration.rpc, result).inc()
            return reply
        except ServiceError as error:
            outcome, replayed = error.code, error.replayed
            raise
        except asyncio.CancelledError:
            outcome = "CANCELLED"
            raise
        finally:
            counter = self.metrics.commands if is_command else self.metrics.queries
            counter.labels(registration.rpc, outcome).inc()
            histogram = self.metrics.command_seconds if is_command else self.metrics.query_seconds
            histogram.labels(registration.rpc).observe(time.perf_counter() - started)
            if replayed:
                self.metrics.idempotent_replays.labels(registration.rpc).inc()
            for aggregate_type, count in appended_event_counts().items():
                self.metrics.events_appended.labels(aggregate_type).inc(count)
