"""potter-runtime: the shared library that potter-gen generated services and SDKs import.

Only re-exports, imported on first use (PEP 562) so that a client SDK, which
installs the package without its `service` extra, never imports FastAPI or
SQLAlchemy. Each submodule holds one responsibility.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from potter_runtime.aggregate import AggregateRoot
    from potter_runtime.breaker import CircuitBreakerSettings
    from potter_runtime.client import ApiError, AsyncClient, CircuitOpenError, Client, RetryPolicy, Route
    from potter_runtime.errors import (
        ConcurrencyError,
        DeadlineExceededError,
        DomainError,
        IdempotencyKeyInUseError,
        IdempotencyKeyMismatchError,
        InvalidArgumentError,
        NotFoundError,
        NotImplementedRpcError,
        ServiceError,
    )
    from potter_runtime.event_store import SqlEventStore
    from potter_runtime.handlers import CommandHandler, QueryHandler
    from potter_runtime.messages import DomainEvent, Message, ProtoEnum, ValueObject
    from potter_runtime.pagination import paginate
    from potter_runtime.repository import EventSourcedRepository, Repository
    from potter_runtime.rest import ProblemDetails, install_error_handlers
    from potter_runtime.settings import ServiceSettings
    from potter_runtime.store import (
        EventMetadata,
        EventStore,
        NewEvent,
        Snapshot,
        SqlAlchemyEventStore,
        StoredEvent,
        open_event_store,
    )
    from potter_runtime.updates import update_paths

__version__ = "0.1.0"

_SUBMODULE = {
    "AggregateRoot": "aggregate",
    "ApiError": "client",
    "AsyncClient": "client",
    "CircuitBreakerSettings": "breaker",
    "CircuitOpenError": "client",
    "Client": "client",
    "RetryPolicy": "client",
    "Snapshot": "store",
    "Route": "client",
    "CommandHandler": "handlers",
    "ConcurrencyError": "errors",
    "DeadlineExceededError": "errors",
    "DomainError": "errors",
    "DomainEvent": "messages",
    "EventMetadata": "store",
    "EventSourcedRepository": "repository",
    "EventStore": "store",
    "IdempotencyKeyInUseError": "errors",
    "IdempotencyKeyMismatchError": "errors",
    "InvalidArgumentError": "errors",
    "Message": "messages",
    "NewEvent": "store",
    "NotFoundError": "errors",
    "NotImplementedRpcError": "errors",
    "ProblemDetails": "rest",
    "ProtoEnum": "messages",
    "QueryHandler": "handlers",
    "Repository": "repository",
    "ServiceError": "errors",
    "ServiceSettings": "settings",
    "SqlAlchemyEventStore": "store",
    "SqlEventStore": "event_store",
    "StoredEvent": "store",
    "ValueObject": "messages",
    "install_error_handlers": "rest",
    "open_event_store": "store",
    "paginate": "pagination",
    "update_paths": "updates",
}

__all__ = [
    "AggregateRoot",
    "ApiError",
    "AsyncClient",
    "CircuitBreakerSettings",
    "CircuitOpenError",
    "Client",
    "CommandHandler",
    "ConcurrencyError",
    "DeadlineExceededError",
    "DomainError",
    "DomainEvent",
    "EventMetadata",
    "EventSourcedRepository",
    "EventStore",
    "IdempotencyKeyInUseError",
    "IdempotencyKeyMismatchError",
    "InvalidArgumentError",
    "Message",
    "NewEvent",
    "NotFoundError",
    "NotImplementedRpcError",
    "ProblemDetails",
    "ProtoEnum",
    "QueryHandler",
    "Repository",
    "RetryPolicy",
    "Route",
    "ServiceError",
    "ServiceSettings",
    "Snapshot",
    "SqlAlchemyEventStore",
    "SqlEventStore",
    "StoredEvent",
    "ValueObject",
    "__version__",
    "install_error_handlers",
    "open_event_store",
    "paginate",
    "update_paths",
]


def __getattr__(name: str) -> Any:
    """Import the submodule that defines `name` on first access (PEP 562)."""
    module = _SUBMODULE.get(name)
    if module is None:
        raise AttributeError(f"module 'potter_runtime' has no attribute {name!r}")
    return getattr(importlib.import_module(f"potter_runtime.{module}"), name)
