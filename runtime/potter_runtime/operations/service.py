"""A service's async-command machinery in one object: table, queue, accept middleware, worker.

``open_operations`` picks the queue from the settings (JetStream when a NATS
URL is given, in-process otherwise); the generated bootstrap puts
``operations.middleware`` on the command bus and calls ``start(commands)``
and ``stop()``. This module must not define the pieces, only join them.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncEngine

from potter_runtime.bus.core import CommandBus
from potter_runtime.operations.middleware import AsyncCommandMiddleware
from potter_runtime.operations.queue import InProcessOperationQueue, OperationQueue
from potter_runtime.operations.store import SqlOperationStore
from potter_runtime.operations.worker import OperationWorker

logger = logging.getLogger("potter_runtime.operations")


class Operations:
    """The operations of one service.

    Args:
        store: The ``operations`` table.
        queue: Where accepted operations wait (in-process or JetStream).
        lease_seconds: A worker's hold on an operation (float, seconds); see ``OperationWorker``.
        sweep_seconds: How often the table is swept for unfinished operations (float, seconds).
        retry_seconds: Wait before starting the worker again after it failed, e.g. NATS away (seconds).

    Attributes:
        middleware: Put it on the command bus (``build_service_buses(command_middleware=…)``).
        worker: The worker once started; None before, or when no command is async.
    """

    def __init__(
        self,
        store: SqlOperationStore,
        queue: OperationQueue,
        *,
        lease_seconds: float = 60.0,
        sweep_seconds: float = 30.0,
        retry_seconds: float = 1.0,
    ) -> None:
        self.store = store
        self.queue = queue
        self.lease_seconds = lease_seconds
        self.sweep_seconds = sweep_seconds
        self.retry_seconds = retry_seconds
        self.middleware = AsyncCommandMiddleware(store, queue)
        self.worker: OperationWorker | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self, commands: CommandBus) -> None:
        """Execute queued operations in the background, if any command of ``commands`` is async.

        The worker first sweeps the table, so operations accepted before a
        restart are executed. Call it inside the running event loop.
        """
        if self._task is not None or not any(r.is_async for r in commands.registrations.values()):
            return
        self.worker = OperationWorker(
            self.store,
            self.queue,
            commands,
            lease_seconds=self.lease_seconds,
            sweep_seconds=self.sweep_seconds,
        )
        self._task = asyncio.create_task(self._run(self.worker))

    async def _run(self, worker: OperationWorker) -> None:
        while True:
            try:
                await self.queue.start()
                await worker.run()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("operations worker stopped: %s: %s; restarting", type(exc).__name__, exc)
                await self.queue.close()
                await asyncio.sleep(self.retry_seconds)

    async def stop(self) -> None:
        """Stop the worker (running operations go back to pending) and close the queue."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await self.queue.close()


def open_operations(
    engine: AsyncEngine,
    *,
    module: str,
    nats_url: str | None = None,
    lease_seconds: float = 60.0,
    sweep_seconds: float = 30.0,
) -> Operations:
    """Return a service's operations, queued on JetStream when ``nats_url`` is set, else in process.

    Args:
        engine: The event store's engine: the ``operations`` table lives beside the events.
        module: The service's package name (stream ``<MODULE>_OPERATIONS``).
        nats_url: NATS server URL(s) (settings ``nats_url``); None or "" for the in-process queue.
        lease_seconds: A worker's hold on an operation (seconds); JetStream's ``ack_wait`` too.
        sweep_seconds: How often the table is swept for unfinished operations (seconds).

    Raises:
        ValueError: The engine is neither SQLite nor PostgreSQL.
    """
    queue: OperationQueue
    if nats_url:
        from potter_runtime.operations.jetstream import JetStreamOperationQueue

        queue = JetStreamOperationQueue(nats_url, module=module, ack_wait=lease_seconds)
    else:
        queue = InProcessOperationQueue()
    return Operations(SqlOperationStore(engine), queue, lease_seconds=lease_seconds, sweep_seconds=sweep_seconds)
