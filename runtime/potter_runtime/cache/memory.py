"""``QueryCache`` in process memory: the embedded default, one replica only.

Bounded: past ``max_entries`` the least recently used answer is dropped.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from potter_runtime.cache.port import ANY_AGGREGATE, CachedAnswer


class MemoryQueryCache:
    """Query answers in a dict of this process, with per-entry expiry and LRU eviction.

    Args:
        max_entries: Most answers kept (int, > 0).
    """

    def __init__(self, *, max_entries: int = 10_000) -> None:
        if max_entries <= 0:
            raise ValueError(f"max_entries must be positive, got {max_entries}")
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, CachedAnswer]] = OrderedDict()
        self._generations: dict[str, int] = {}

    async def generation(self, aggregate_type: str) -> int:
        """Return the generation of ``aggregate_type``."""
        return self._generations.get(aggregate_type, 0)

    async def get(self, key: str) -> CachedAnswer | None:
        """Return the live answer under ``key``, or None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires_at, answer = entry
        if time.monotonic() >= expires_at:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return answer

    async def set(self, key: str, value: dict[str, Any], ttl_seconds: float) -> None:
        """Store an answer for ``ttl_seconds``, evicting the least recently used past the bound."""
        self._entries[key] = (time.monotonic() + ttl_seconds, CachedAnswer(value, time.time()))
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def invalidate(self, aggregate_type: str) -> None:
        """Bump the generations of ``aggregate_type`` and of ``*``."""
        for name in {aggregate_type, ANY_AGGREGATE}:
            self._generations[name] = self._generations.get(name, 0) + 1

    async def close(self) -> None:
        """Drop every entry."""
        self._entries.clear()
