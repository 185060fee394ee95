"""Abstract bases for command and query handlers.

Generated code subclasses these per RPC; scaffold files fill in ``handle``.
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
    """

    rpc_name: ClassVar[str] = ""

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
    """

    rpc_name: ClassVar[str] = ""

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
