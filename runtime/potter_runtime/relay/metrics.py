"""Prometheus metrics of the outbox relay and the event subscribers (prometheus-client).

Registered once in prometheus-client's default registry, which the service's
``/metrics`` endpoint exposes; every series carries the relay's or
subscriber's name as a label. This module must not read events.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

OUTBOX_LAG_EVENTS = Gauge(
    "potter_outbox_lag_events",
    "Events stored but not yet published by the relay (max position minus checkpoint; an upper bound).",
    ["relay"],
)
OUTBOX_LAG_SECONDS = Gauge(
    "potter_outbox_lag_seconds",
    "Age of the oldest event the relay has not published yet, in seconds (0 when caught up).",
    ["relay"],
)
EVENTS_PUBLISHED = Counter(
    "potter_events_published",
    "Events the relay published and the broker (or in-process bus) accepted.",
    ["relay"],
)
RELAY_ACTIVE = Gauge(
    "potter_outbox_relay_active",
    "1 while this process holds the relay lock and publishes, else 0.",
    ["relay"],
)
EVENTS_HANDLED = Counter(
    "potter_subscriber_events",
    "Events delivered to a subscriber, by outcome (handled, duplicate, retried, dead_lettered).",
    ["subscriber", "outcome"],
)
