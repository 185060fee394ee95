"""The idempotency key port: how the first result for a key is claimed, stored and read back.

draft-ietf-httpapi-idempotency-key-header (and Stripe's behaviour, which it
describes): the first request with a key executes; its result, success or
error, is stored with a fingerprint of the request and replayed to every
later request with that key until the key expires. Adapters must let exactly
one of concurrent claimers win (a unique constraint, not check-then-insert).
This module must not import SQLAlchemy.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class IdempotencyRecord:
    """A stored idempotency key.

    Attributes:
        key: The client's key (str, at most 255 characters).
        rpc: Proto RPC name of the first request.
        fingerprint: ``request_fingerprint`` of the first request (64 hex characters).
        result: The first request's result as a JSON object (see
            ``IdempotencyMiddleware``), or None while it is still executing.
        created_at: When the key was claimed (timezone-aware, UTC).
        locked_until: Until when the claim holds while in flight (timezone-aware, UTC).
        expires_at: When the key is forgotten (timezone-aware, UTC).
        applied: The first request's events are committed (they carry the key
            in their metadata), so it must never execute again, even though its
            result was lost; only looked up for a claim whose lock ran out.
    """

    key: str
    rpc: str
    fingerprint: str
    result: dict[str, Any] | None
    created_at: datetime
    locked_until: datetime
    expires_at: datetime
    applied: bool = False

    @property
    def in_flight(self) -> bool:
        """Whether the first request has not finished yet."""
        return self.result is None


class IdempotencyStore(Protocol):
    """Port of idempotency key storage; implementations must be safe across processes."""

    async def create_schema(self) -> None:
        """Create the store's table if missing (idempotent); migrations do this in production."""
        ...

    async def claim(self, key: str, rpc: str, fingerprint: str, *, lock_seconds: float) -> IdempotencyRecord | None:
        """Claim ``key`` for a new execution, or return the record that holds it.

        An expired record, or an in-flight one whose lock ran out (its process
        died) and that was not applied, is replaced by the new claim.

        Args:
            key: The client's idempotency key.
            rpc: Proto RPC name.
            fingerprint: ``request_fingerprint(rpc, request)``.
            lock_seconds: How long the claim holds before another request may
                take it over (float, seconds).

        Returns:
            None when this caller claimed the key and must execute the request;
            otherwise the record already holding it (in flight or completed).

        Raises:
            asyncio.CancelledError: The caller was cancelled; the claim goes on
                and, if it won the key, the store releases it, so the key is
                not held for ``lock_seconds`` by nobody.
        """
        ...

    async def complete(self, key: str, result: dict[str, Any]) -> None:
        """Store the first request's result for ``key`` (a JSON object)."""
        ...

    def complete_later(self, key: str, result: dict[str, Any]) -> asyncio.Future[None]:
        """Start storing the first request's result for ``key``; return a future done once it is stored.

        For callers that answer before the result is stored. The future fails
        with what ``complete`` would raise.
        """
        ...

    async def release(self, key: str) -> None:
        """Forget an in-flight claim, so the next request with ``key`` executes."""
        ...

    async def purge_expired(self) -> int:
        """Delete expired keys; return how many were deleted."""
        ...

    async def close(self) -> None:
        """Release connections the store opened itself."""
        ...


def request_fingerprint(rpc: str, request: Any) -> str:
    """Return the SHA-256 hex digest of the canonical JSON of an RPC name and its request.

    Canonical: keys sorted, no whitespace, the request as its JSON mapping
    (``model_dump(mode="json", by_alias=True)`` for a pydantic model), so two
    requests that mean the same thing share a fingerprint.

    Args:
        rpc: Proto RPC name.
        request: A pydantic model or any JSON-compatible value.
    """
    body = request.model_dump(mode="json", by_alias=True) if hasattr(request, "model_dump") else request
    text = json.dumps({"rpc": rpc, "request": body}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
