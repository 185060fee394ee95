"""Cache middleware: answers of ``cacheable`` queries, and their invalidation by commands.

``CacheMiddleware`` (query bus) serves an answer stored under the RPC, the
generation of the aggregate type the query reads, and the SHA-256 of the
canonical request, for ``cache_ttl_seconds``; the ``Reply`` carries its age
(REST ``Age``, ``Cache-Control: max-age``). ``CacheInvalidationMiddleware``
(command bus) bumps the generation of every aggregate type the command
appended to, once the command ends, before its answer is returned: the
caller's next query reads fresh data, on every replica sharing the cache.
A cache that fails (Redis down) is logged and bypassed, never fatal.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
from typing import Any

from potter_runtime.bus.context import appended_aggregate_types
from potter_runtime.bus.core import CallNext, Dispatch, Registration, Reply
from potter_runtime.cache.port import ANY_AGGREGATE, QueryCache

logger = logging.getLogger(__name__)


def cache_key(rpc: str, aggregate_type: str, generation: int, request: Any) -> str:
    """Return the cache key of a query: ``<rpc>:<aggregate type>@<generation>:<sha256 of the request>``.

    The request is hashed as canonical JSON (sorted keys, no whitespace) of
    its JSON mapping, so equal requests share a key.
    """
    body = request.model_dump(mode="json", by_alias=True) if hasattr(request, "model_dump") else request
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return f"{rpc}:{aggregate_type}@{generation}:{digest}"


class CacheMiddleware:
    """Serve cacheable queries from a ``QueryCache`` within their TTL.

    Args:
        cache: ``MemoryQueryCache`` or ``RedisQueryCache`` (``open_query_cache``).
    """

    def __init__(self, cache: QueryCache) -> None:
        self.cache = cache

    def applies_to(self, registration: Registration) -> bool:
        """Wrap queries marked ``cacheable`` with a positive TTL and a known response model."""
        return (
            registration.kind == "query"
            and registration.cacheable
            and registration.cache_ttl_seconds > 0
            and registration.response_type is not None
        )

    async def __call__(self, dispatch: Dispatch, call_next: CallNext) -> Reply[Any]:
        """Return the cached answer (``cache_hit=True`` with its age) or compute and store it."""
        registration = dispatch.registration
        response_type = registration.response_type
        assert response_type is not None  # applies_to requires it
        ttl = registration.cache_ttl_seconds
        max_age = int(ttl)
        aggregate_type = registration.aggregate_type or ANY_AGGREGATE
        key: str | None = None
        try:
            # The generation is read before the handler reads data, so an answer
            # computed across an invalidation is stored under the old generation.
            key = cache_key(dispatch.rpc, aggregate_type, await self.cache.generation(aggregate_type), dispatch.request)
            cached = await self.cache.get(key)
        except Exception:
            logger.warning("query cache unavailable; answering %s without it", dispatch.rpc, exc_info=True)
            cached = None
        if cached is not None:
            age = max(0.0, time.time() - cached.stored_at)
            if age < ttl:
                value = response_type.model_validate(cached.value)
                return Reply(value, cache_hit=True, age_seconds=age, max_age_seconds=max_age)
        reply = await call_next(dispatch)
        if key is not None:
            try:
                await self.cache.set(key, reply.value.model_dump(mode="json", by_alias=True), ttl)
            except Exception:
                logger.warning("query cache unavailable; %s answer not stored", dispatch.rpc, exc_info=True)
        return dataclasses.replace(reply, cache_hit=False, age_seconds=0.0, max_age_seconds=max_age)


class CacheInvalidationMiddleware:
    """After a command, invalidate cached queries of the aggregate types it appended to.

    The types are those the repository reported (``record_append``); when none
    was reported and the command succeeded, its handler's ``aggregate_type``
    (a handler appending to the store directly). A failed command that
    appended nothing invalidates nothing.

    Args:
        cache: The query bus's cache.
    """

    def __init__(self, cache: QueryCache) -> None:
        self.cache = cache

    def applies_to(self, registration: Registration) -> bool:
        """Wrap every command."""
        return registration.kind == "command"

    async def __call__(self, dispatch: Dispatch, call_next: CallNext) -> Reply[Any]:
        """Run the command, then bump the generations of what it changed."""
        succeeded = False
        try:
            reply = await call_next(dispatch)
            succeeded = True
            return reply
        finally:
            changed = set(appended_aggregate_types())
            if not changed and succeeded and dispatch.registration.aggregate_type:
                changed.add(dispatch.registration.aggregate_type)
            for aggregate_type in sorted(changed):
                try:
                    await self.cache.invalidate(aggregate_type)
                except Exception:
                    logger.error("query cache unavailable; %s answers may be stale", aggregate_type, exc_info=True)
