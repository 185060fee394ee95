"""``QueryCache`` on Redis (redis-py asyncio): shared by every replica of the service.

Keys: ``<prefix>answer:<key>`` hold ``{"stored_at", "value"}`` JSON with a
Redis expiry (``SET … PX``); ``<prefix>generation:<aggregate type>`` are
counters (``INCR``), so one replica's invalidation is seen by all of them at
their next lookup.
"""

from __future__ import annotations

import json
import time
from typing import Any

from redis.asyncio import Redis

from potter_runtime.cache.port import ANY_AGGREGATE, CachedAnswer


class RedisQueryCache:
    """Query answers in Redis.

    Args:
        url: ``redis://host:6379/0`` (``rediss://`` for TLS).
        prefix: Put before every key, so services (or tests) sharing a Redis
            database do not collide, e.g. ``"library:cache:"``.
        client: An existing client to use instead of ``url`` (not closed by ``close``).
    """

    def __init__(self, url: str = "", *, prefix: str = "potter:cache:", client: Redis | None = None) -> None:
        if client is None and not url:
            raise ValueError("give a Redis url or a client")
        self.prefix = prefix
        self._owns_client = client is None
        self.client: Redis = client if client is not None else Redis.from_url(url)

    async def generation(self, aggregate_type: str) -> int:
        """Return the generation of ``aggregate_type`` (a Redis counter; 0 when unset)."""
        value = await self.client.get(f"{self.prefix}generation:{aggregate_type}")
        return int(value or 0)

    async def get(self, key: str) -> CachedAnswer | None:
        """Return the answer under ``key``, or None (Redis expires them)."""
        raw = await self.client.get(f"{self.prefix}answer:{key}")
        if raw is None:
            return None
        entry = json.loads(raw)
        return CachedAnswer(value=entry["value"], stored_at=float(entry["stored_at"]))

    async def set(self, key: str, value: dict[str, Any], ttl_seconds: float) -> None:
        """Store an answer with a Redis expiry of ``ttl_seconds`` (millisecond precision)."""
        raw = json.dumps({"stored_at": time.time(), "value": value}, separators=(",", ":"))
        await self.client.set(f"{self.prefix}answer:{key}", raw, px=max(1, round(ttl_seconds * 1000)))

    async def invalidate(self, aggregate_type: str) -> None:
        """Bump the generations of ``aggregate_type`` and ``*`` in one round trip."""
        async with self.client.pipeline(transaction=False) as pipe:
            for name in sorted({aggregate_type, ANY_AGGREGATE}):
                pipe.incr(f"{self.prefix}generation:{name}")
            await pipe.execute()

    async def close(self) -> None:
        """Close the connection pool (unless the client was given)."""
        if self._owns_client:
            await self.client.aclose()
