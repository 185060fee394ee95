"""Queues of accepted operations: the port and the in-process backend.

A queue carries operation ids from the accepting request to a worker; the
``operations`` table holds everything else, so a queue may lose or repeat an id
without harm: workers claim operations in the table (one wins) and sweep it for
ones no queue delivered. ``InProcessOperationQueue`` is an asyncio queue (one
process, the embedded default); ``JetStreamOperationQueue``
(``operations/jetstream.py``) shares the work between replicas through a NATS
JetStream work-queue stream. This module must not execute commands.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Protocol


class OperationDelivery(Protocol):
    """One operation id handed to a worker; acknowledge it once its result is recorded."""

    @property
    def operation_id(self) -> uuid.UUID:
        """The operation to execute."""
        ...

    async def ack(self) -> None:
        """Say the operation needs no more work (executed or ended)."""
        ...

    async def retry_later(self, delay_seconds: float) -> None:
        """Hand the operation out again after ``delay_seconds`` (another worker holds it meanwhile)."""
        ...


class OperationQueue(Protocol):
    """Where accepted operations wait for a worker."""

    async def start(self) -> None:
        """Connect and create what the queue needs (idempotent).

        Raises:
            Exception: The backend is unreachable (the caller retries later).
        """
        ...

    async def enqueue(self, operation_id: uuid.UUID) -> None:
        """Queue an operation; return once the queue holds it (durably, for a broker).

        Raises:
            Exception: It could not be queued.
        """
        ...

    def deliveries(self) -> AsyncIterator[OperationDelivery]:
        """Yield queued operations, waiting for new ones, until ``close``."""
        ...

    async def close(self) -> None:
        """Stop delivering and release connections."""
        ...


class _LocalDelivery:
    def __init__(self, queue: InProcessOperationQueue, operation_id: uuid.UUID) -> None:
        self._queue = queue
        self._operation_id = operation_id

    @property
    def operation_id(self) -> uuid.UUID:
        return self._operation_id

    async def ack(self) -> None:
        self._queue._queued.discard(self._operation_id)

    async def retry_later(self, delay_seconds: float) -> None:
        # The worker's sweep queues it again once its holder's claim has run out.
        self._queue._queued.discard(self._operation_id)


class InProcessOperationQueue:
    """An asyncio queue of operation ids, for a service without a broker.

    Not durable: the ``operations`` table is. After a restart the worker's
    sweep (``OperationWorker``) queues again every operation still pending, or
    running with its claim run out. An id already waiting is not queued twice.
    """

    def __init__(self) -> None:
        self._ids: asyncio.Queue[uuid.UUID | None] = asyncio.Queue()
        self._queued: set[uuid.UUID] = set()
        self._closed = False

    async def start(self) -> None:
        """Open the queue again after ``close`` (the ids still queued wait on, without its stop mark)."""
        if self._closed:
            waiting = [self._ids.get_nowait() for _ in range(self._ids.qsize())]
            self._ids = asyncio.Queue()
            for operation_id in waiting:
                if operation_id is not None:
                    self._ids.put_nowait(operation_id)
        self._closed = False

    async def enqueue(self, operation_id: uuid.UUID) -> None:
        """Queue the id unless it waits already."""
        if operation_id in self._queued:
            return
        self._queued.add(operation_id)
        self._ids.put_nowait(operation_id)

    async def deliveries(self) -> AsyncIterator[OperationDelivery]:
        """Yield queued ids until ``close``."""
        while not self._closed:
            operation_id = await self._ids.get()
            if operation_id is None:
                return
            yield _LocalDelivery(self, operation_id)

    async def close(self) -> None:
        """Wake the consumer and end ``deliveries``; queued ids stay in the table."""
        self._closed = True
        self._ids.put_nowait(None)
