"""How a stored event travels on the broker: its subject and its JSON envelope.

The message body is one JSON object holding the event and its envelope fields
(the "structured mode" of CloudEvents, with our field names), so a subscriber
rebuilds the ``StoredEvent`` the relay read. This module must not open
connections or know about NATS clients.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from typing import Any

from potter_runtime.store.port import EventMetadata, StoredEvent

# One NATS subject token: no whitespace, no wildcards, no empty token.
# NATS docs, "Subject-Based Messaging", characters allowed.
_TOKEN = re.compile(r"[^\s.*>]+")


def events_subject(module: str, event_type: str = ">") -> str:
    """Return the subject of an event type: ``<module>.events.<event_type>``.

    Args:
        module: The service's package name, e.g. ``"library"``.
        event_type: Envelope type, e.g. ``"book.created"`` (its dots make
            further tokens); ``">"`` gives the wildcard of every event.

    Returns:
        The subject, e.g. ``"library.events.book.created"``.

    Raises:
        ValueError: ``module`` or a token of ``event_type`` is empty or holds
            whitespace, ``*`` or ``>``.
    """
    _check_tokens(module, "module")
    if event_type != ">":
        _check_tokens(event_type, "event type")
    return f"{module}.events.{event_type}"


def dead_letter_subject(module: str, subscriber: str = ">") -> str:
    """Return the subject where a subscriber's failed events are parked: ``<module>.dlq.<subscriber>``.

    Raises:
        ValueError: A token is empty or holds whitespace, ``*`` or ``>``.
    """
    _check_tokens(module, "module")
    if subscriber != ">":
        _check_tokens(subscriber, "subscriber name")
    return f"{module}.dlq.{subscriber}"


def stream_name(module: str, suffix: str = "EVENTS") -> str:
    """Return a JetStream stream name for a module, e.g. ``"LIBRARY_EVENTS"`` (no dots allowed in names)."""
    return f"{module.upper().replace('.', '_').replace('-', '_')}_{suffix}"


def encode_event(event: StoredEvent) -> bytes:
    """Serialise an event to the JSON body of its broker message (UTF-8 bytes)."""
    body = {
        "eventId": str(event.event_id),
        "position": event.position,
        "aggregateType": event.aggregate_type,
        "aggregateId": event.aggregate_id,
        "version": event.version,
        "eventType": event.event_type,
        "eventVersion": event.event_version,
        "recordedAt": event.recorded_at.isoformat(),
        "metadata": event.metadata.to_json(),
        "payload": event.payload,
    }
    return json.dumps(body, separators=(",", ":")).encode()


def decode_event(data: bytes) -> StoredEvent:
    """Rebuild an event from a body written by ``encode_event``.

    Raises:
        ValueError: The body is not JSON or misses a field (``KeyError`` and
            ``json.JSONDecodeError`` are both ``ValueError``-compatible here).
    """
    try:
        body: dict[str, Any] = json.loads(data)
        return StoredEvent(
            position=int(body["position"]),
            event_id=uuid.UUID(body["eventId"]),
            aggregate_type=body["aggregateType"],
            aggregate_id=body["aggregateId"],
            version=int(body["version"]),
            event_type=body["eventType"],
            event_version=int(body["eventVersion"]),
            payload=body["payload"],
            metadata=EventMetadata.from_json(body.get("metadata")),
            recorded_at=datetime.fromisoformat(body["recordedAt"]),
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"not an event envelope: {exc!r}") from exc


def _check_tokens(value: str, what: str) -> None:
    for token in value.split("."):
        if not _TOKEN.fullmatch(token):
            raise ValueError(
                f"{what} {value!r} cannot be part of a NATS subject: tokens must be non-empty "
                "and hold no whitespace, '*' or '>'"
            )
