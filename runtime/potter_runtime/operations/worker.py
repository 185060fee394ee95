"""The worker that executes accepted operations through the command bus.

For each operation a queue delivers, the worker claims it in the
``operations`` table (``running``), dispatches the command through the same
``CommandBus`` chain as a synchronous one (so timeout, metrics, logging and
cache invalidation apply), then records ``succeeded`` with the response or
``failed`` with the problem details the command would have answered (RFC
9457), and only then acknowledges the delivery. A sweep queues again what the
table holds unfinished (pending, or running with the claim run out), so
nothing accepted is lost to a restart. This module must not know transports.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import typing
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from potter_runtime.bus.context import DispatchContext, idempotency_scope
from potter_runtime.bus.core import CommandBus, Registration
from potter_runtime.errors import NotImplementedRpcError, ServiceError
from potter_runtime.handlers import CommandHandler
from potter_runtime.operations.queue import OperationDelivery, OperationQueue
from potter_runtime.operations.store import SqlOperationStore, operation_idempotency_key
from potter_runtime.rest import ProblemDetails, problem_details

logger = logging.getLogger("potter_runtime.operations")

_executing: ContextVar[uuid.UUID | None] = ContextVar("potter_executing_operation", default=None)


def executing_operation() -> uuid.UUID | None:
    """Return the id of the operation the current dispatch executes, or None for a request."""
    return _executing.get()


@contextlib.contextmanager
def _execution_scope(operation_id: uuid.UUID) -> Iterator[None]:
    token = _executing.set(operation_id)
    try:
        with idempotency_scope(operation_idempotency_key(operation_id)):
            yield
    finally:
        _executing.reset(token)


def request_type_of(handler: Any) -> type[BaseModel] | None:
    """Return a command handler's request model from its generic base, or None if it has none."""
    for klass in type(handler).__mro__:
        for base in getattr(klass, "__orig_bases__", ()):
            if typing.get_origin(base) is CommandHandler:
                args = typing.get_args(base)
                if args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
                    return args[0]
    return None


_INTERNAL = ProblemDetails(
    title="Internal error", status=500, detail="The service failed unexpectedly.", code="INTERNAL"
)


class OperationWorker:
    """Execute queued operations, at most ``concurrency`` at a time.

    Args:
        store: The operations table.
        queue: Where accepted operations wait.
        commands: The service's command bus (with its middleware chain).
        lease_seconds: How long a claim holds (float, seconds); longer than
            any async command runs. A worker that dies loses its operations
            to another (or to itself after a restart) when it ends.
        sweep_seconds: How often the table is swept for unfinished operations
            no queue holds (float, seconds).
        concurrency: Most operations executed at once (int, > 0).
    """

    def __init__(
        self,
        store: SqlOperationStore,
        queue: OperationQueue,
        commands: CommandBus,
        *,
        lease_seconds: float = 60.0,
        sweep_seconds: float = 30.0,
        concurrency: int = 8,
    ) -> None:
        self.store = store
        self.queue = queue
        self.commands = commands
        self.lease_seconds = lease_seconds
        self.sweep_seconds = sweep_seconds
        self._slots = asyncio.Semaphore(concurrency)
        self._running: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """Sweep the table now and every ``sweep_seconds``, and execute deliveries, until cancelled."""
        sweeper = asyncio.create_task(self._sweep_forever())
        try:
            async for delivery in self.queue.deliveries():
                await self._slots.acquire()
                task = asyncio.create_task(self._execute_released(delivery))
                self._running.add(task)
                task.add_done_callback(self._running.discard)
        finally:
            sweeper.cancel()
            for task in list(self._running):
                task.cancel()
            await asyncio.gather(sweeper, *self._running, return_exceptions=True)

    async def sweep(self) -> int:
        """Queue every operation the table holds unfinished; return how many."""
        ids = await self.store.unfinished()
        for operation_id in ids:
            await self.queue.enqueue(operation_id)
        return len(ids)

    async def _sweep_forever(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception as exc:  # database or broker away: try at the next sweep
                logger.warning("operations sweep failed: %s: %s", type(exc).__name__, exc)
            await asyncio.sleep(self.sweep_seconds)

    async def _execute_released(self, delivery: OperationDelivery) -> None:
        try:
            await self.execute(delivery)
        except asyncio.CancelledError:
            raise
        except Exception:  # the database failed: the delivery stays unacknowledged, the sweep retries
            logger.exception("operation %s could not be executed", delivery.operation_id)
        finally:
            self._slots.release()

    async def execute(self, delivery: OperationDelivery) -> None:
        """Claim, execute and record one delivered operation, then acknowledge it.

        An operation that has ended or is unknown is acknowledged without
        executing; one held by another worker is handed out again when that
        worker's claim runs out (a dead worker's redelivered operation can
        arrive just before).
        One found ``running`` after its claim ran out whose events were committed
        (they carry ``operation:<id>`` as idempotency key) is recorded
        ``succeeded`` without a response: executing it again would apply it twice.
        A cancelled execution (shutdown) puts the operation back to ``pending``.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: The table could not be read or written
                (the delivery is not acknowledged).
        """
        operation_id = delivery.operation_id
        record = await self.store.claim(operation_id, lease_seconds=self.lease_seconds)
        if record is None:
            current = await self.store.get(operation_id)
            if current is None or current.status.done or current.locked_until is None:
                await delivery.ack()
                return
            # Held by a worker (maybe dead): look again when its claim runs out.
            remaining = (current.locked_until - datetime.now(UTC)).total_seconds()
            await delivery.retry_later(max(0.1, remaining + 0.1))
            return
        registration = self.commands.registrations.get(record.rpc)
        if record.attempts > 1 and await self.store.was_applied(operation_id):
            logger.warning("operation %s was applied before its worker stopped; its response is lost", operation_id)
            await self.store.succeed(operation_id, None)
        elif registration is None:
            await self.store.fail(operation_id, _problem(NotImplementedRpcError(record.rpc)))
        else:
            await self._dispatch(registration, operation_id, record.request, record.correlation_id)
        await delivery.ack()

    async def _dispatch(
        self, registration: Registration, operation_id: uuid.UUID, request: dict[str, Any], correlation_id: str
    ) -> None:
        request_type = request_type_of(registration.handler)
        context = DispatchContext(command_id=operation_id.hex, correlation_id=correlation_id)
        try:
            message = request_type.model_validate(request) if request_type is not None else request
            with _execution_scope(operation_id):
                reply = await self.commands.dispatch(registration.rpc, message, context)
        except ServiceError as error:
            await self.store.fail(operation_id, _problem(error))
        except asyncio.CancelledError:
            # Shutting down: hand it back (a restart or another replica executes it).
            await asyncio.shield(self.store.release(operation_id))
            raise
        except Exception:
            logger.exception("operation %s (%s) failed unexpectedly", operation_id, registration.rpc)
            await self.store.fail(operation_id, _INTERNAL.model_dump(exclude_none=True))
        else:
            value = reply.value
            response = value.model_dump(mode="json", by_alias=True) if isinstance(value, BaseModel) else None
            await self.store.succeed(operation_id, response)


def _problem(error: ServiceError) -> dict[str, Any]:
    return problem_details(error).model_dump(exclude_none=True)
