"""Idempotency keys (draft-ietf-httpapi-idempotency-key-header): the port and its SQL adapter.

The middleware that uses them is ``potter_runtime.bus.idempotency``.
"""

from __future__ import annotations

from potter_runtime.idempotency.port import IdempotencyRecord, IdempotencyStore, request_fingerprint
from potter_runtime.idempotency.sql import SqlIdempotencyStore

__all__ = ["IdempotencyRecord", "IdempotencyStore", "SqlIdempotencyStore", "request_fingerprint"]
