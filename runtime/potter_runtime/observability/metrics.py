"""Prometheus metrics of a service's buses (prometheus-client), in a registry of its own.

Names follow Prometheus's conventions (base units, ``_total`` counters):
``potter_commands_total{rpc,outcome}``, ``potter_queries_total{rpc,outcome}``
(outcome ``OK`` or the error's ``code``), ``potter_command_duration_seconds{rpc}``
and ``potter_query_duration_seconds{rpc}`` histograms,
``potter_idempotent_replays_total{rpc}`` and
``potter_query_cache_requests_total{rpc,result}`` (``hit``/``miss``),
``potter_events_appended_total{aggregate_type}``. Other
runtime parts (the relay) register theirs in the same ``registry``.
This module must not import a web framework.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

#: Latency buckets (seconds): 1 ms to 10 s, where command and query latencies fall.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class BusMetrics:
    """The metrics ``MetricsMiddleware`` records, and the registry ``/metrics`` serves.

    Args:
        registry: Where to register; a new ``CollectorRegistry`` when None
            (so tests and several services in one process never collide).
        process_metrics: Also collect the process's CPU, memory, file
            descriptors and GC figures (prometheus-client's standard collectors).

    Attributes:
        registry: The ``CollectorRegistry`` to expose.
        commands: Counter ``potter_commands_total`` by ``rpc`` and ``outcome``.
        queries: Counter ``potter_queries_total`` by ``rpc`` and ``outcome``.
        command_seconds: Histogram ``potter_command_duration_seconds`` by ``rpc``.
        query_seconds: Histogram ``potter_query_duration_seconds`` by ``rpc``.
        idempotent_replays: Counter ``potter_idempotent_replays_total`` by ``rpc``.
        cache_requests: Counter ``potter_query_cache_requests_total`` by ``rpc`` and ``result``.
        events_appended: Counter ``potter_events_appended_total`` by ``aggregate_type``.
    """

    def __init__(self, registry: CollectorRegistry | None = None, *, process_metrics: bool = True) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        if process_metrics and registry is None:
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)
            GCCollector(registry=self.registry)
        self.commands = Counter(
            "potter_commands",
            "Commands handled, by RPC and outcome (OK or error code).",
            ["rpc", "outcome"],
            registry=self.registry,
        )
        self.queries = Counter(
            "potter_queries",
            "Queries handled, by RPC and outcome (OK or error code).",
            ["rpc", "outcome"],
            registry=self.registry,
        )
        self.command_seconds = Histogram(
            "potter_command_duration_seconds",
            "Time to handle a command, middleware included.",
            ["rpc"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.query_seconds = Histogram(
            "potter_query_duration_seconds",
            "Time to answer a query, middleware included.",
            ["rpc"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.idempotent_replays = Counter(
            "potter_idempotent_replays",
            "Answers replayed for a known idempotency key.",
            ["rpc"],
            registry=self.registry,
        )
        self.cache_requests = Counter(
            "potter_query_cache_requests",
            "Cacheable queries by cache result (hit or miss).",
            ["rpc", "result"],
            registry=self.registry,
        )

        self.events_appended = Counter(
            "potter_events_appended",
            "Events committed by commands, by aggregate type.",
            ["aggregate_type"],
            registry=self.registry,
        )

    def render(self) -> tuple[bytes, str]:
        """Return the registry in Prometheus's text exposition format, and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
