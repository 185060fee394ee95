"""Cached queries: hits within the TTL, fresh after an event, invalidation seen by every replica (real Redis)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis

from potter_runtime.bus import CacheInvalidationMiddleware, CacheMiddleware, CommandBus, QueryBus
from potter_runtime.cache import MemoryQueryCache, QueryCache, open_query_cache
from potter_runtime.cache.redis import RedisQueryCache
from potter_runtime.repository import EventSourcedRepository
from potter_runtime.store import SqlAlchemyEventStore

from .bus_handlers import CreateItemHandler, CreateItemRequest, CreateItemResponse, GetItemHandler, GetItemRequest
from .items import Item, ItemRenamed

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["memory", "redis"])
async def new_cache(request: pytest.FixtureRequest) -> AsyncIterator[Callable[[], QueryCache]]:
    """A factory of caches sharing one backend (one dict, or one Redis key prefix)."""
    if request.param == "memory":
        shared = MemoryQueryCache()
        yield lambda: shared
        return
    url = request.getfixturevalue("redis_url")
    prefix = f"potter-test-{uuid.uuid4().hex}:"
    caches: list[RedisQueryCache] = []

    def make() -> QueryCache:
        caches.append(RedisQueryCache(url, prefix=prefix))
        return caches[-1]

    yield make
    for cache in caches:
        await cache.close()
    async with Redis.from_url(url) as client:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)


class RenameItemHandler(CreateItemHandler):
    rpc_name = "RenameItem"

    async def handle(self, request: CreateItemRequest) -> CreateItemResponse:
        item = await self.repository.get(request.item_id)
        item.record(ItemRenamed(displayName=request.display_name))
        await self.repository.save(item)
        return CreateItemResponse(item_id=item.id, version=item.version)


def _replica(store: SqlAlchemyEventStore, cache: QueryCache) -> tuple[CommandBus, QueryBus, GetItemHandler]:
    repository = EventSourcedRepository(store, Item)
    commands = CommandBus([CacheInvalidationMiddleware(cache)])
    commands.register(CreateItemHandler(repository))
    commands.register(RenameItemHandler(repository))
    queries = QueryBus([CacheMiddleware(cache)])
    handler = GetItemHandler(repository)
    queries.register(handler)
    return commands, queries, handler


async def test_a_cached_query_is_a_hit_within_its_ttl_and_fresh_right_after_an_event(
    store: SqlAlchemyEventStore, new_cache: Callable[[], QueryCache]
) -> None:
    commands, queries, handler = _replica(store, new_cache())
    await commands.dispatch("CreateItem", CreateItemRequest(item_id="c-1", display_name="One"))

    miss = await queries.dispatch("GetItem", GetItemRequest(item_id="c-1"))
    hit = await queries.dispatch("GetItem", GetItemRequest(item_id="c-1"))

    assert (miss.cache_hit, miss.age_seconds, miss.max_age_seconds) == (False, 0.0, 60)
    assert hit.cache_hit and hit.value == miss.value and 0 <= hit.age_seconds < 60 and hit.max_age_seconds == 60
    assert handler.executions == 1

    await commands.dispatch("RenameItem", CreateItemRequest(item_id="c-1", display_name="Uno"))
    fresh = await queries.dispatch("GetItem", GetItemRequest(item_id="c-1"))

    assert not fresh.cache_hit and fresh.value.display_name == "Uno"
    assert handler.executions == 2


async def test_two_replicas_sharing_the_cache_both_see_an_invalidation(
    store: SqlAlchemyEventStore, new_cache: Callable[[], QueryCache]
) -> None:
    commands_a, queries_a, handler_a = _replica(store, new_cache())
    _commands_b, queries_b, handler_b = _replica(store, new_cache())
    await commands_a.dispatch("CreateItem", CreateItemRequest(item_id="r-1", display_name="One"))
    await queries_a.dispatch("GetItem", GetItemRequest(item_id="r-1"))
    await queries_b.dispatch("GetItem", GetItemRequest(item_id="r-1"))

    await commands_a.dispatch("RenameItem", CreateItemRequest(item_id="r-1", display_name="Eins"))
    seen_by_b = await queries_b.dispatch("GetItem", GetItemRequest(item_id="r-1"))

    assert not seen_by_b.cache_hit and seen_by_b.value.display_name == "Eins"


async def test_an_answer_expires_after_its_ttl(
    store: SqlAlchemyEventStore, new_cache: Callable[[], QueryCache]
) -> None:
    class Brief(GetItemHandler):
        rpc_name = "GetItemBriefly"
        cache_ttl_seconds = 0.05  # type: ignore[assignment]

    cache = new_cache()
    commands, _queries, _handler = _replica(store, cache)
    await commands.dispatch("CreateItem", CreateItemRequest(item_id="t-1", display_name="One"))
    queries = QueryBus([CacheMiddleware(cache)])
    handler = Brief(EventSourcedRepository(store, Item))
    queries.register(handler)

    await queries.dispatch("GetItemBriefly", GetItemRequest(item_id="t-1"))
    await asyncio.sleep(0.2)
    later = await queries.dispatch("GetItemBriefly", GetItemRequest(item_id="t-1"))

    assert not later.cache_hit and handler.executions == 2


async def test_queries_are_answered_while_the_cache_is_down(store: SqlAlchemyEventStore) -> None:
    down = RedisQueryCache("redis://127.0.0.1:1/0")  # nothing listens on port 1
    commands, queries, handler = _replica(store, down)
    try:
        await commands.dispatch("CreateItem", CreateItemRequest(item_id="d-1", display_name="One"))
        first = await queries.dispatch("GetItem", GetItemRequest(item_id="d-1"))
        second = await queries.dispatch("GetItem", GetItemRequest(item_id="d-1"))
    finally:
        await down.close()

    assert first.value.display_name == second.value.display_name == "One"
    assert handler.executions == 2


def test_open_query_cache_picks_redis_only_for_a_url() -> None:
    assert isinstance(open_query_cache(None), MemoryQueryCache)
    assert isinstance(open_query_cache("redis://127.0.0.1:6379/0"), RedisQueryCache)
