"""Handlers of the Item aggregate (tests/runtime/items.py) used by the bus tests."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from potter_runtime import CommandHandler, DomainError, QueryHandler
from potter_runtime.messages import Message
from potter_runtime.repository import EventSourcedRepository
from potter_runtime.store import NewEvent, SqlAlchemyEventStore

from .items import Item, ItemCreated


class CreateItemRequest(Message):
    item_id: str = ""
    display_name: str = ""


class CreateItemResponse(Message):
    item_id: str = ""
    version: int = 0


class GetItemRequest(Message):
    item_id: str = ""


class GetItemResponse(Message):
    item_id: str = ""
    display_name: str = ""


class Blank(DomainError):
    code = "BLANK_NAME"


class CreateItemHandler(CommandHandler[CreateItemRequest, CreateItemResponse]):
    """Creates an item; counts its executions; can be held back by a gate."""

    rpc_name: ClassVar[str] = "CreateItem"
    aggregate_type: ClassVar[str] = "Item"

    def __init__(self, repository: EventSourcedRepository[Item]) -> None:
        self.repository = repository
        self.executions = 0
        self.gate: asyncio.Event | None = None
        self.delay_seconds = 0.0

    async def handle(self, request: CreateItemRequest) -> CreateItemResponse:
        self.executions += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        if not request.display_name:
            raise Blank("display_name must not be blank")
        item = self.repository.new(request.item_id or None)
        item.record(ItemCreated(displayName=request.display_name))
        await self.repository.save(item)
        return CreateItemResponse(item_id=item.id, version=item.version)


class IdempotentCreateItemHandler(CreateItemHandler):
    rpc_name: ClassVar[str] = "CreateItemOnce"
    idempotent: ClassVar[bool] = True


class TimedCreateItemHandler(CreateItemHandler):
    """Appends inside its own transaction, then outlives its deadline before committing."""

    rpc_name: ClassVar[str] = "CreateItemSlowly"
    timeout_seconds: ClassVar[float] = 0.3

    def __init__(self, store: SqlAlchemyEventStore) -> None:
        self.store = store
        self.appended = asyncio.Event()

    async def handle(self, request: CreateItemRequest) -> CreateItemResponse:
        event = NewEvent("item.created", 1, {"displayName": request.display_name})
        async with self.store.engine.begin() as conn:
            version = await self.store.append_in(conn, "Item", request.item_id, 0, [event])
            self.appended.set()
            await asyncio.sleep(30)  # cancelled by the deadline long before
        return CreateItemResponse(item_id=request.item_id, version=version)


class GetItemHandler(QueryHandler[GetItemRequest, GetItemResponse]):
    rpc_name: ClassVar[str] = "GetItem"
    aggregate_type: ClassVar[str] = "Item"
    cacheable: ClassVar[bool] = True
    cache_ttl_seconds: ClassVar[int] = 60

    def __init__(self, repository: EventSourcedRepository[Item]) -> None:
        self.repository = repository
        self.executions = 0

    async def handle(self, request: GetItemRequest) -> GetItemResponse:
        self.executions += 1
        item = await self.repository.get(request.item_id)
        return GetItemResponse(item_id=item.id, display_name=item.state.display_name)
