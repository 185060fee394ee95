"""Query answer cache: the port, an in-memory and a Redis adapter, chosen by ``open_query_cache``.

The middleware that uses them is ``potter_runtime.bus.cache``.
"""

from __future__ import annotations

from potter_runtime.cache.memory import MemoryQueryCache
from potter_runtime.cache.port import ANY_AGGREGATE, CachedAnswer, QueryCache

__all__ = ["ANY_AGGREGATE", "CachedAnswer", "MemoryQueryCache", "QueryCache", "open_query_cache"]


def open_query_cache(redis_url: str | None = None, *, prefix: str = "potter:cache:") -> QueryCache:
    """Return the Redis cache when ``redis_url`` is set (env ``REDIS_URL``), else an in-memory one.

    Args:
        redis_url: ``redis://host:6379/0``, or None/"" for the in-memory cache.
        prefix: Key prefix in Redis, e.g. ``"<service>:cache:"``.
    """
    if redis_url:
        from potter_runtime.cache.redis import RedisQueryCache

        return RedisQueryCache(redis_url, prefix=prefix)
    return MemoryQueryCache()
