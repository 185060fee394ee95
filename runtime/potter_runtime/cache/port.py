"""The query cache port: answers of cacheable queries, and per-aggregate generations.

Invalidation without scanning keys: every aggregate type has a *generation*
counter in the cache backend; a cached answer's key includes the generation
of the aggregate type its query reads, and storing events of that type bumps
the counter. Every replica sharing the backend (Redis) then computes new keys,
so old answers are never read again and simply expire.
This module must not import a cache client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

#: Generation bumped by every invalidation: the one read by queries whose aggregate type is unknown.
ANY_AGGREGATE = "*"


@dataclass(frozen=True)
class CachedAnswer:
    """A stored query answer.

    Attributes:
        value: The response message as its JSON object.
        stored_at: When it was computed (UNIX time, float seconds).
    """

    value: dict[str, Any]
    stored_at: float


class QueryCache(Protocol):
    """Port of the query answer cache; implementations are safe to share between tasks."""

    async def generation(self, aggregate_type: str) -> int:
        """Return the current generation of ``aggregate_type`` (0 before any invalidation)."""
        ...

    async def get(self, key: str) -> CachedAnswer | None:
        """Return the answer stored under ``key``, or None when absent or expired."""
        ...

    async def set(self, key: str, value: dict[str, Any], ttl_seconds: float) -> None:
        """Store ``value`` under ``key`` for ``ttl_seconds`` (float, seconds, > 0)."""
        ...

    async def invalidate(self, aggregate_type: str) -> None:
        """Make every answer of queries reading ``aggregate_type`` stale (bumps its and ``*``'s generation)."""
        ...

    async def close(self) -> None:
        """Release connections; the cache must not be used afterwards."""
        ...
