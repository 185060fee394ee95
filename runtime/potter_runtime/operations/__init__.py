"""Async commands as long-running operations (AIP-151): accept → queue → worker → result.

An async command (``(potter.command).async = true``) answers 202 with an
``Operation``; a worker executes it through the command bus and records the
response or the problem in the ``operations`` table; clients poll
``GET /api/v1/operations/{id}``. Modules: ``model`` (status, record, body;
imported by SDKs), ``store`` (the table), ``queue`` (port, in-process),
``jetstream`` (work-queue stream), ``worker``, ``middleware`` (accept),
``rest`` (202 answer, GET route), ``service`` (all of them for a bootstrap).
Names are imported on first use (PEP 562), so the model needs neither
SQLAlchemy nor FastAPI.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from potter_runtime.operations.jetstream import JetStreamOperationQueue
    from potter_runtime.operations.middleware import AsyncCommandMiddleware, OperationQueueUnavailableError
    from potter_runtime.operations.model import OPERATIONS_PATH, Operation, OperationRecord, OperationStatus
    from potter_runtime.operations.queue import InProcessOperationQueue, OperationDelivery, OperationQueue
    from potter_runtime.operations.rest import ACCEPTED_RESPONSES, operations_api_router, send_operation
    from potter_runtime.operations.service import Operations, open_operations
    from potter_runtime.operations.store import SqlOperationStore, operation_idempotency_key
    from potter_runtime.operations.worker import OperationWorker, executing_operation, request_type_of

_LAZY = {
    "ACCEPTED_RESPONSES": "rest",
    "AsyncCommandMiddleware": "middleware",
    "InProcessOperationQueue": "queue",
    "JetStreamOperationQueue": "jetstream",
    "OPERATIONS_PATH": "model",
    "Operation": "model",
    "OperationDelivery": "queue",
    "OperationQueue": "queue",
    "OperationQueueUnavailableError": "middleware",
    "OperationRecord": "model",
    "OperationStatus": "model",
    "OperationWorker": "worker",
    "Operations": "service",
    "SqlOperationStore": "store",
    "executing_operation": "worker",
    "open_operations": "service",
    "operation_idempotency_key": "store",
    "operations_api_router": "rest",
    "request_type_of": "worker",
    "send_operation": "rest",
}

__all__ = [
    "ACCEPTED_RESPONSES",
    "AsyncCommandMiddleware",
    "InProcessOperationQueue",
    "JetStreamOperationQueue",
    "OPERATIONS_PATH",
    "Operation",
    "OperationDelivery",
    "OperationQueue",
    "OperationQueueUnavailableError",
    "OperationRecord",
    "OperationStatus",
    "OperationWorker",
    "Operations",
    "SqlOperationStore",
    "executing_operation",
    "open_operations",
    "operation_idempotency_key",
    "operations_api_router",
    "request_type_of",
    "send_operation",
]


def __getattr__(name: str) -> Any:
    """Import the module that defines ``name`` on first access (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'potter_runtime.operations' has no attribute {name!r}")
    return getattr(importlib.import_module(f"potter_runtime.operations.{module}"), name)
