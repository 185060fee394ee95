"""Abstract bases for command and query handlers.

Generated code subclasses these per RPC; scaffold files fill in ``handle``.
The class variables carry the proto's potter options; the buses
(``potter_runtime.bus``) read them to pick the middleware of each RPC.
This module must not know about transports, buses or storage.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from typing import ClassVar, Generic, TypeVar

RequestT = TypeVar("RequestT")
ResponseT = TypeVar("ResponseT")


class CommandHandler(ABC, Generic[RequestT, ResponseT]):
    """Handles one command RPC; may change aggregates.

    Attributes:
        rpc_name: Proto RPC name (ClassVar str), e.g. ``"CreateItem"``.
        aggregate_type: The aggregate the command changes (ClassVar str, e.g.
            ``"Item"``); "" when unknown. Cached queries of that aggregate are
            invalidated after the command.
        idempotent: ``command.idempotent``: an idempotency key makes it run once (ClassVar bool).
        is_async: ``command.async``: accepted at once, executed by a worker (ClassVar bool).
        timeout_seconds: ``command.timeout_seconds``: the handler's deadline
            (ClassVar float, seconds); 0 for none.
    """

    rpc_name: ClassVar[str] = ""
    aggregate_type: ClassVar[str] = ""
    idempotent: ClassVar[bool] = False
    is_async: ClassVar[bool] = False
    timeout_seconds: ClassVar[float] = 0

    @abstractmethod
    async def handle(self, request: RequestT) -> ResponseT:
        """Execute the command.

        Args:
            request: The RPC's request message.

        Returns:
            The RPC's response message.

        Raises:
            ServiceError: Any subclass, mapped to the transport's error format.
        """


class QueryHandler(ABC, Generic[RequestT, ResponseT]):
    """Handles one query RPC; must not change state.

    Attributes:
        rpc_name: Proto RPC name (ClassVar str), e.g. ``"GetItem"``.
        aggregate_type: The aggregate whose read model the query reads
            (ClassVar str, e.g. ``"Item"``); "" when unknown, and then any
            stored event invalidates its cached answers.
        cacheable: ``query.cacheable``: answers are cached (ClassVar bool).
        cache_ttl_seconds: ``query.cache_ttl_seconds``: how long a cached
            answer is served (ClassVar int, seconds).
        timeout_seconds: The handler's deadline (ClassVar float, seconds); 0 for none.
    """

    rpc_name: ClassVar[str] = ""
    aggregate_type: ClassVar[str] = ""
    cacheable: ClassVar[bool] = False
    cache_ttl_seconds: ClassVar[int] = 0
    timeout_seconds: ClassVar[float] = 0

    @abstractmethod
    async def handle(self, request: RequestT) -> ResponseT:
        """Answer the query.

        Args:
            request: The RPC's request message.

        Returns:
            The RPC's response message.

        Raises:
            ServiceError: Any subclass, mapped to the transport's error format.
        """


class ServerStreamHandler(ABC, Generic[RequestT, ResponseT]):
    """Handles one server-streaming RPC: one request, a stream of responses.

    Attributes:
        rpc_name: Proto RPC name (ClassVar str), e.g. ``"WatchItems"``.
    """

    rpc_name: ClassVar[str] = ""

    @abstractmethod
    def handle(self, request: RequestT) -> AsyncIterator[ResponseT]:
        """Stream the responses (write it as an ``async def`` that ``yield``s).

        Args:
            request: The RPC's request message.

        Returns:
            An async iterator of response messages.

        Raises:
            ServiceError: Any subclass; raised before the first response it
                becomes the transport's error, after it the stream ends.
        """
