"""Statements shared by concurrent requests: what arrives while one batch is in flight goes in the next.

Each round trip to the database costs the service ~0.3 ms of CPU (the event
loop, the driver, SQLAlchemy), as much as a command's own append. Under load
an idempotent command's claim and stored answer would add two of them; sent
as one statement for every request waiting at that moment (the way
PostgreSQL groups commits), they cost a fraction. With nothing in flight an
item goes out at once, so an unloaded service waits no longer; work nobody
waits for (a stored answer) may linger a few milliseconds to share a batch.
This module knows no SQL; ``potter_runtime.idempotency.sql`` supplies it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class Batcher(Generic[Item, Result]):
    """Runs submitted items together, at most one batch in flight.

    Args:
        run_batch: Runs a batch; returns one result per item, in order.
        run_one: Runs one item on its own: used for every item of a batch
            that raised, so one bad item fails alone.
        max_size: Most items in one batch (int >= 1).
        linger_seconds: How long a batch that is not full waits for more items
            before it is sent (float, seconds; 0 sends at once). For items
            whose submitters do not wait on the answer: at ~1,000 items a
            second and a 0.4 ms round trip, most batches would hold one item.

    Raises:
        ValueError: ``max_size`` < 1 or ``linger_seconds`` < 0.
    """

    def __init__(
        self,
        run_batch: Callable[[Sequence[Item]], Awaitable[Sequence[Result]]],
        run_one: Callable[[Item], Awaitable[Result]],
        *,
        max_size: int = 500,
        linger_seconds: float = 0.0,
    ) -> None:
        if max_size < 1:
            raise ValueError(f"max_size must be at least 1, got {max_size}")
        if linger_seconds < 0:
            raise ValueError(f"linger_seconds must not be negative, got {linger_seconds}")
        self.linger_seconds = linger_seconds
        self._run_batch = run_batch
        self._run_one = run_one
        self.max_size = max_size
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        """Run ``item`` in the next batch; return its result.

        Raises:
            Exception: What ``run_one`` raised for it (after its batch failed).
        """
        return await self.submit_soon(item)

    def submit_soon(self, item: Item) -> asyncio.Future[Result]:
        """Put ``item`` in the next batch; return the future of its result, without a task of its own.

        The future fails with what ``run_one`` raised for the item (after its
        batch failed), and is cancelled when the batcher's task is. A caller
        may shield it (``asyncio.shield``) to let the item run whatever
        happens to the caller.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        self._waiting.append((item, future))
        if self._sender is None:
            self._sender = loop.create_task(self._send())
        return future

    async def drain(self) -> None:
        """Wait until every item submitted so far has been run (lingering batches included)."""
        while self._sender is not None:
            await asyncio.shield(self._sender)

    async def _send(self) -> None:
        try:
            while self._waiting:
                if self.linger_seconds and len(self._waiting) < self.max_size:
                    await asyncio.sleep(self.linger_seconds)
                batch, self._waiting = self._waiting[: self.max_size], self._waiting[self.max_size :]
                await self._run(batch)
        finally:
            self._sender = None
            waiting, self._waiting = self._waiting, []
            for _, future in waiting:  # left only when this task was cancelled (shutdown)
                future.cancel()

    async def _run(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            results = await self._run_batch([item for item, _ in batch])
        except Exception:
            # One item may have sunk the batch (e.g. text PostgreSQL refuses): each on its own.
            for item, future in batch:
                try:
                    result = await self._run_one(item)
                except Exception as error:
                    if not future.done():  # its submitter may have gone away
                        future.set_exception(error)
                else:
                    if not future.done():
                        future.set_result(result)
            return
        except BaseException:
            for _, future in batch:
                future.cancel()
            raise
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
