"""Outbox relay (events table → NATS JetStream or the in-process event bus) and event subscribers.

``OutboxRelay`` publishes stored events by position from a checkpoint through
an ``EventPublisher``: ``JetStreamPublisher`` when NATS is configured,
``InProcessEventBus`` otherwise. ``SubscriberRunner`` feeds a ``Subscriber``
from a durable JetStream consumer. ``open_event_delivery`` composes them for a
service. Generated code imports these names from here.
"""

from __future__ import annotations

from potter_runtime.relay.delivery import EventDelivery, open_event_delivery
from potter_runtime.relay.envelope import (
    dead_letter_subject,
    decode_event,
    encode_event,
    events_subject,
    stream_name,
)
from potter_runtime.relay.inprocess import DeadLetter, InProcessEventBus
from potter_runtime.relay.jetstream import JetStreamPublisher, connect_nats, ensure_stream
from potter_runtime.relay.lock import LocalLock, LockLostError, PostgresAdvisoryLock, RelayLock, relay_lock_for
from potter_runtime.relay.outbox import FAILPOINT_ENV, EventPublisher, OutboxRelay, PublishError, RelayLag
from potter_runtime.relay.subscribers import Subscriber, SubscriberRunner, handle_once, handled_event_types

__all__ = [
    "FAILPOINT_ENV",
    "DeadLetter",
    "EventDelivery",
    "EventPublisher",
    "InProcessEventBus",
    "JetStreamPublisher",
    "LocalLock",
    "LockLostError",
    "OutboxRelay",
    "PostgresAdvisoryLock",
    "PublishError",
    "RelayLag",
    "RelayLock",
    "Subscriber",
    "SubscriberRunner",
    "connect_nats",
    "dead_letter_subject",
    "decode_event",
    "encode_event",
    "ensure_stream",
    "events_subject",
    "handle_once",
    "handled_event_types",
    "open_event_delivery",
    "relay_lock_for",
    "stream_name",
]
