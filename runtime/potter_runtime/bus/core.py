"""Command and query buses: one registered handler per RPC, reached through a middleware chain.

Transports never call handlers: they decode a request, call
``CommandBus.dispatch`` / ``QueryBus.dispatch`` with the RPC name and a
``DispatchContext``, and encode the ``Reply``. Each potter option is one
middleware (timeout, idempotency, cache, metrics…); a middleware says which
handlers it applies to, and each handler's chain is composed once, when it is
registered, from the bus's middleware in order (the first is outermost, like
Starlette's middleware stack). This module must not know any transport.
"""

from __future__ import annotations

import typing
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel

from potter_runtime.bus.context import DispatchContext, dispatch_scope
from potter_runtime.errors import NotImplementedRpcError
from potter_runtime.handlers import CommandHandler, QueryHandler

T = TypeVar("T")

Kind = Literal["command", "query"]


@dataclass(frozen=True)
class Registration:
    """One handler registered on a bus, with the options its middleware reads.

    Attributes:
        rpc: Proto RPC name, e.g. ``"CreateItem"``.
        kind: ``"command"`` or ``"query"``.
        handler: The handler instance (a ``CommandHandler`` or ``QueryHandler``).
        response_type: The RPC's response model class, used to rebuild a stored
            answer (idempotent replay, cache hit); None when it is not a pydantic
            model, and then no answer of the RPC is stored.
        aggregate_type: Aggregate the command changes or the query reads; "" when unknown.
        idempotent: Honour idempotency keys (commands).
        is_async: Accept at once and execute in a worker (commands).
        timeout_seconds: Handler deadline (seconds); 0 for none.
        cacheable: Cache answers (queries).
        cache_ttl_seconds: Lifetime of a cached answer (seconds).
    """

    rpc: str
    kind: Kind
    handler: Any
    response_type: type[BaseModel] | None
    aggregate_type: str = ""
    idempotent: bool = False
    is_async: bool = False
    timeout_seconds: float = 0
    cacheable: bool = False
    cache_ttl_seconds: float = 0


@dataclass(frozen=True)
class Dispatch:
    """A request on its way through the chain.

    Attributes:
        registration: The handler it goes to, with its options.
        request: The RPC's request message.
        context: Ids, idempotency key, deadline and metadata from the transport.
    """

    registration: Registration
    request: Any
    context: DispatchContext

    @property
    def rpc(self) -> str:
        """The proto RPC name."""
        return self.registration.rpc


@dataclass(frozen=True)
class Reply(Generic[T]):
    """A handler's answer and how it was produced, for the transport's headers.

    Attributes:
        value: The RPC's response message.
        replayed: The stored first answer to the idempotency key, not a new
            execution (REST: ``Idempotent-Replayed: true``).
        cache_hit: For a cacheable query, whether the answer came from the
            cache; None for any other RPC.
        age_seconds: For a cacheable query, how long ago the answer was
            computed (float, seconds; 0 for a fresh one) (REST: ``Age``).
        max_age_seconds: For a cacheable query, its cache lifetime (int,
            seconds) (REST: ``Cache-Control: max-age``); None otherwise.
    """

    value: T
    replayed: bool = False
    cache_hit: bool | None = None
    age_seconds: float = 0.0
    max_age_seconds: int | None = None


CallNext = Callable[[Dispatch], Awaitable[Reply[Any]]]
"""The rest of the chain: call it with the dispatch (or a changed copy) to go on."""


class Middleware(Protocol):
    """One concern around handlers (an option, metrics, logging…)."""

    def applies_to(self, registration: Registration) -> bool:
        """Return whether this middleware wraps the handler of ``registration``."""
        ...

    async def __call__(self, dispatch: Dispatch, call_next: CallNext) -> Reply[Any]:
        """Handle ``dispatch``, calling ``call_next`` to run the rest of the chain (or not).

        Raises:
            ServiceError: To answer with an error.
        """
        ...


def response_type_of(handler: Any) -> type[BaseModel] | None:
    """Return the response model of a handler from its generic base, or None if it has none.

    Generated bases subclass ``CommandHandler[Request, Response]``; failing
    that, the return annotation of ``handle`` is used.
    """
    for klass in type(handler).__mro__:
        for base in getattr(klass, "__orig_bases__", ()):
            if typing.get_origin(base) in (CommandHandler, QueryHandler):
                args = typing.get_args(base)
                if len(args) == 2 and isinstance(args[1], type) and issubclass(args[1], BaseModel):
                    return args[1]
    try:
        hints = typing.get_type_hints(type(handler).handle)
    except Exception:  # unresolvable forward references: no stored answers for it
        return None
    answer = hints.get("return")
    return answer if isinstance(answer, type) and issubclass(answer, BaseModel) else None


async def _call_handler(dispatch: Dispatch) -> Reply[Any]:
    return Reply(await dispatch.registration.handler.handle(dispatch.request))


def _compose(registration: Registration, middleware: Sequence[Middleware]) -> CallNext:
    chain: CallNext = _call_handler
    for layer in reversed([layer for layer in middleware if layer.applies_to(registration)]):
        chain = _bind(layer, chain)
    return chain


def _bind(layer: Middleware, call_next: CallNext) -> CallNext:
    async def call(dispatch: Dispatch) -> Reply[Any]:
        return await layer(dispatch, call_next)

    return call


class _Bus:
    """What both buses share: registration, chain composition, dispatch."""

    kind: Kind
    handler_base: type[Any]

    def __init__(self, middleware: Sequence[Middleware] = ()) -> None:
        self.middleware: tuple[Middleware, ...] = tuple(middleware)
        self._registrations: dict[str, Registration] = {}
        self._chains: dict[str, CallNext] = {}

    @property
    def registrations(self) -> Mapping[str, Registration]:
        """Every registered handler by RPC name."""
        return self._registrations

    def register(
        self,
        handler: Any,
        *,
        response_type: type[BaseModel] | None = None,
        aggregate_type: str | None = None,
    ) -> Registration:
        """Register a handler under its ``rpc_name`` and compose its middleware chain.

        Args:
            handler: A handler instance; its class variables (``rpc_name``,
                ``idempotent``, ``timeout_seconds``, ``cacheable``…) select the middleware.
            response_type: The response model; by default read from the
                handler's generic base (``CommandHandler[Request, Response]``).
            aggregate_type: Overrides the handler's ``aggregate_type``.

        Returns:
            The registration.

        Raises:
            TypeError: The handler is not a handler of this bus's kind.
            ValueError: It has no ``rpc_name``, or one already registered.
        """
        if not isinstance(handler, self.handler_base):
            raise TypeError(
                f"{type(handler).__name__} is not a {self.handler_base.__name__}; register it on the other bus"
            )
        rpc = handler.rpc_name
        if not rpc:
            raise ValueError(f"{type(handler).__name__} has no rpc_name")
        if rpc in self._registrations:
            raise ValueError(f"a handler for {rpc} is already registered on this bus")
        registration = Registration(
            rpc=rpc,
            kind=self.kind,
            handler=handler,
            response_type=response_type or response_type_of(handler),
            aggregate_type=handler.aggregate_type if aggregate_type is None else aggregate_type,
            idempotent=getattr(handler, "idempotent", False),
            is_async=getattr(handler, "is_async", False),
            timeout_seconds=getattr(handler, "timeout_seconds", 0),
            cacheable=getattr(handler, "cacheable", False),
            cache_ttl_seconds=getattr(handler, "cache_ttl_seconds", 0),
        )
        self._registrations[rpc] = registration
        self._chains[rpc] = _compose(registration, self.middleware)
        return registration

    async def dispatch(self, rpc: str, request: Any, context: DispatchContext | None = None) -> Reply[Any]:
        """Send a request through the RPC's middleware chain to its handler.

        The context is current (``current_context()``) while the chain runs.

        Args:
            rpc: Proto RPC name, e.g. ``"CreateItem"``.
            request: The RPC's request message.
            context: From the transport; a fresh one (new command id) when None.

        Returns:
            The answer and how it was produced.

        Raises:
            NotImplementedRpcError: No handler is registered for ``rpc``.
            ServiceError: The handler's or a middleware's error.
        """
        chain = self._chains.get(rpc)
        if chain is None:
            raise NotImplementedRpcError(rpc)
        context = context or DispatchContext()
        with dispatch_scope(context):
            return await chain(Dispatch(self._registrations[rpc], request, context))

    async def aclose(self) -> None:
        """Let middleware finish background work (e.g. results being stored); call at shutdown."""
        for layer in self.middleware:
            close = getattr(layer, "aclose", None)
            if close is not None:
                await close()

    async def call(self, rpc: str, request: Any, context: DispatchContext | None = None) -> Any:
        """Like ``dispatch``, but return only the response message."""
        return (await self.dispatch(rpc, request, context)).value


class CommandBus(_Bus):
    """Bus of command handlers (``CommandHandler``).

    Args:
        middleware: Outermost first; each wraps only the handlers it applies to.
    """

    kind: Kind = "command"
    handler_base = CommandHandler


class QueryBus(_Bus):
    """Bus of query handlers (``QueryHandler``).

    Args:
        middleware: Outermost first; each wraps only the handlers it applies to.
    """

    kind: Kind = "query"
    handler_base = QueryHandler
