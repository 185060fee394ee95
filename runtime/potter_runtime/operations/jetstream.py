"""A NATS JetStream work queue of operations, shared by every replica (nats-py).

The stream (``<MODULE>_OPERATIONS``, subject ``<module>.operations``) has
work-queue retention: a message is deleted once a consumer acknowledges it.
Every replica pulls from one durable consumer, so each operation goes to one
worker; one that dies without acknowledging gets it redelivered after
``ack_wait`` (the worker's claim lease). Messages carry ``Nats-Msg-Id`` = the
operation id, so a re-queued operation inside the duplicate window is stored
once. NATS docs, "Streams" (RetentionPolicy WorkQueue) and "Consumers" (pull,
AckWait). This module must not touch the database.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from potter_runtime.operations.queue import OperationDelivery
from potter_runtime.relay.envelope import stream_name
from potter_runtime.relay.jetstream import MSG_ID, close_quietly, connect_nats


def operations_subject(module: str) -> str:
    """Return the subject operations of ``module`` are queued on, e.g. ``"library.operations"``."""
    return f"{module}.operations"


class _JetStreamDelivery:
    def __init__(self, message: Msg, operation_id: uuid.UUID) -> None:
        self._message = message
        self._operation_id = operation_id

    @property
    def operation_id(self) -> uuid.UUID:
        return self._operation_id

    async def ack(self) -> None:
        await self._message.ack()

    async def retry_later(self, delay_seconds: float) -> None:
        # Stays in the work queue: redelivered after the delay, until a worker ends it.
        await self._message.nak(delay=delay_seconds)


class JetStreamOperationQueue:
    """``OperationQueue`` on a JetStream work-queue stream with one durable pull consumer.

    Args:
        url: NATS server URL(s), e.g. ``"nats://127.0.0.1:4222"``.
        module: The service's package name: stream ``<MODULE>_OPERATIONS``.
        ack_wait: Seconds a delivered operation stays with its worker before
            JetStream hands it to another (the worker's claim lease).
        duplicate_window: How long the stream remembers ``Nats-Msg-Id`` values (seconds).
        fetch_batch: How many operations one pull asks for (int, > 0).
        publish_timeout: Longest wait for the stream's acknowledgement of a queued operation (seconds).
        connect_options: Further ``nats.connect`` keyword arguments.
    """

    def __init__(
        self,
        url: str,
        *,
        module: str,
        ack_wait: float = 60.0,
        duplicate_window: float = 600.0,
        fetch_batch: int = 8,
        publish_timeout: float = 5.0,
        **connect_options: Any,
    ) -> None:
        self.url = url
        self.module = module
        self.stream = stream_name(module, "OPERATIONS")
        self.subject = operations_subject(module)
        self.durable = "operations-worker"
        self.ack_wait = ack_wait
        self.duplicate_window = duplicate_window
        self.fetch_batch = fetch_batch
        self.publish_timeout = publish_timeout
        self.connect_options = connect_options
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._lock = asyncio.Lock()
        self._closed = False

    async def start(self) -> None:
        """Connect (once) and create the stream and the consumer if missing.

        Raises:
            TimeoutError: NATS did not answer.
            nats.js.errors.APIError: The stream or consumer cannot be created.
        """
        async with self._lock:
            if self._js is not None:
                return
            nc = await connect_nats(self.url, name=f"potter-operations:{self.stream}", **self.connect_options)
            js = nc.jetstream(timeout=self.publish_timeout)
            try:
                await js.stream_info(self.stream)
            except NotFoundError:
                await js.add_stream(
                    StreamConfig(
                        name=self.stream,
                        subjects=[self.subject],
                        retention=RetentionPolicy.WORK_QUEUE,
                        storage=StorageType.FILE,
                        duplicate_window=self.duplicate_window,
                    )
                )
            self._nc, self._js, self._closed = nc, js, False

    async def enqueue(self, operation_id: uuid.UUID) -> None:
        """Publish the id and wait for the stream to store it.

        Raises:
            nats.errors.Error: Not connected, or no acknowledgement in ``publish_timeout``.
        """
        if self._js is None:
            await self.start()
        assert self._js is not None
        value = str(operation_id)
        await self._js.publish(self.subject, value.encode(), headers={MSG_ID: value}, timeout=self.publish_timeout)

    async def deliveries(self) -> AsyncIterator[OperationDelivery]:
        """Pull operations from the durable consumer until ``close``."""
        if self._js is None:
            await self.start()
        assert self._js is not None
        config = ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait,
            max_deliver=-1,
        )
        subscription = await self._js.pull_subscribe(
            self.subject, durable=self.durable, stream=self.stream, config=config
        )
        while not self._closed:
            try:
                messages = await subscription.fetch(self.fetch_batch, timeout=1.0)
            except TimeoutError:
                continue
            except NatsError:
                # Connection lost: nats-py reconnects; pull again shortly.
                await asyncio.sleep(0.5)
                continue
            for message in messages:
                try:
                    operation_id = uuid.UUID(message.data.decode())
                except ValueError:
                    await message.term()  # not ours: never deliver it again
                    continue
                yield _JetStreamDelivery(message, operation_id)

    async def close(self) -> None:
        """End ``deliveries`` and close the connection (unacknowledged operations are redelivered)."""
        self._closed = True
        nc, self._nc, self._js = self._nc, None, None
        if nc is not None:
            await close_quietly(nc)
