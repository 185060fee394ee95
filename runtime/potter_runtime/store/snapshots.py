"""When to take an aggregate snapshot, and how to tell whether a stored one still fits.

A snapshot is a cache: loading uses the latest one plus the events after it,
and falls back to every event when there is none or it does not fit the current
state model. This module must not do I/O; the repository saves and loads.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from pydantic import BaseModel


@dataclass(frozen=True)
class SnapshotPolicy:
    """Take a snapshot each time a stream's version crosses a multiple of ``interval``.

    Attributes:
        interval: Events between snapshots (int, > 0); 100 by default.

    Raises:
        ValueError: ``interval`` is not positive.
    """

    interval: int = 100

    def __post_init__(self) -> None:
        if self.interval <= 0:
            raise ValueError(f"snapshot interval must be a positive number of events, got {self.interval}")

    def is_due(self, old_version: int, new_version: int) -> bool:
        """Return whether an append from ``old_version`` to ``new_version`` crossed a multiple of ``interval``.

        Counting crossings, not exact multiples, still snapshots when one
        append adds several events and skips over the multiple.
        """
        return new_version // self.interval > old_version // self.interval


_FINGERPRINTS: dict[type[BaseModel], str] = {}


def schema_fingerprint(state_model: type[BaseModel]) -> str:
    """Return the SHA-256 (64 hex digits) of a state model's JSON Schema in canonical form.

    Any change to the state's fields, types, aliases or defaults changes the
    fingerprint, so a snapshot taken under another shape is never decoded.

    Args:
        state_model: The aggregate's pydantic state class.
    """
    fingerprint = _FINGERPRINTS.get(state_model)
    if fingerprint is None:  # a model never changes once defined; its schema is built once
        schema = state_model.model_json_schema()
        canonical = json.dumps(schema, sort_keys=True, separators=(",", ":"))
        fingerprint = _FINGERPRINTS[state_model] = hashlib.sha256(canonical.encode()).hexdigest()
    return fingerprint
