"""potter-runtime: the shared library that potter-gen generated services import.

Only re-exports; each submodule holds one responsibility.
"""

from potter_runtime.aggregate import AggregateRoot
from potter_runtime.errors import (
    ConcurrencyError,
    DeadlineExceededError,
    DomainError,
    InvalidArgumentError,
    NotFoundError,
    NotImplementedRpcError,
    ServiceError,
)
from potter_runtime.event_store import EventStore, NewEvent, SqlEventStore, StoredEvent
from potter_runtime.handlers import CommandHandler, QueryHandler
from potter_runtime.messages import DomainEvent, Message, ValueObject
from potter_runtime.pagination import paginate
from potter_runtime.repository import EventSourcedRepository, Repository
from potter_runtime.rest import ProblemDetails, install_error_handlers
from potter_runtime.settings import ServiceSettings

__version__ = "0.1.0"

__all__ = [
    "AggregateRoot",
    "CommandHandler",
    "ConcurrencyError",
    "DeadlineExceededError",
    "DomainError",
    "DomainEvent",
    "EventSourcedRepository",
    "Repository",
    "EventStore",
    "InvalidArgumentError",
    "Message",
    "NewEvent",
    "NotFoundError",
    "NotImplementedRpcError",
    "ProblemDetails",
    "QueryHandler",
    "ServiceError",
    "ServiceSettings",
    "SqlEventStore",
    "StoredEvent",
    "ValueObject",
    "__version__",
    "install_error_handlers",
    "paginate",
]
