"""The async-command middleware: accept a command as an operation instead of executing it.

For a command registered ``is_async`` (``(potter.command).async = true``) a
request is not executed: the operation is recorded ``pending`` and queued, in
that order and both before the answer, and the ``Reply`` carries the
``Operation`` (REST: 202 + ``Location``). The worker later dispatches the
same command through the same chain; this middleware then lets it through.
It sits inside the idempotency middleware, so an idempotency key replays the
same operation. This module must not execute commands.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from pydantic import BaseModel

from potter_runtime.bus.core import CallNext, Dispatch, Registration, Reply
from potter_runtime.errors import ServiceError
from potter_runtime.operations.model import Operation
from potter_runtime.operations.queue import OperationQueue
from potter_runtime.operations.store import SqlOperationStore
from potter_runtime.operations.worker import executing_operation

logger = logging.getLogger("potter_runtime.operations")


class OperationQueueUnavailableError(ServiceError):
    """An async command could not be queued (the broker is away); nothing was accepted (HTTP 503)."""

    status: ClassVar[int] = 503
    code = "UNAVAILABLE"
    rpc_code: ClassVar[str] = "UNAVAILABLE"
    title: ClassVar[str] = "Unavailable"


class AsyncCommandMiddleware:
    """Answer an async command with its ``Operation`` and leave the execution to a worker.

    Args:
        store: The operations table.
        queue: Where accepted operations wait for a worker.
    """

    def __init__(self, store: SqlOperationStore, queue: OperationQueue) -> None:
        self.store = store
        self.queue = queue

    def applies_to(self, registration: Registration) -> bool:
        """Wrap commands registered ``is_async``."""
        return registration.kind == "command" and registration.is_async

    async def __call__(self, dispatch: Dispatch, call_next: CallNext) -> Reply[Any]:
        """Record and queue the operation (``Reply.value`` is an ``Operation``), or execute it for a worker.

        Raises:
            OperationQueueUnavailableError: The queue refused it; the operation
                was forgotten, the client may retry.
        """
        if executing_operation() is not None:
            return await call_next(dispatch)
        request = dispatch.request
        body = request.model_dump(mode="json", by_alias=True) if isinstance(request, BaseModel) else dict(request)
        record = await self.store.create(dispatch.rpc, body, correlation_id=dispatch.context.correlation_id)
        try:
            await self.queue.enqueue(record.id)
        except Exception as exc:
            logger.warning("could not queue operation %s: %s: %s", record.id, type(exc).__name__, exc)
            await self.store.delete(record.id)
            raise OperationQueueUnavailableError(
                f"{dispatch.rpc} could not be queued for execution; nothing was accepted, retry later"
            ) from exc
        return Reply(Operation.of(record))
