"""The statement batcher of idempotency keys (potter_runtime.idempotency.batch), without a database."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from potter_runtime.idempotency.batch import Batcher

pytestmark = pytest.mark.anyio


class Recorder:
    """Doubles each item; records the batches and single runs; refuses the item ``bad``."""

    def __init__(self, bad: int | None = None) -> None:
        self.bad = bad
        self.batches: list[list[int]] = []
        self.singles: list[int] = []
        self.release = asyncio.Event()

    async def run_batch(self, items: Sequence[int]) -> list[int]:
        self.batches.append(list(items))
        await self.release.wait()
        if self.bad in items:
            raise ValueError("a bad item sank the batch")
        return [item * 2 for item in items]

    async def run_one(self, item: int) -> int:
        self.singles.append(item)
        if item == self.bad:
            raise ValueError(f"item {item} refused")
        return item * 2


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_the_first_item_goes_at_once_and_those_arriving_meanwhile_share_the_next_batch() -> None:
    recorder = Recorder()
    batcher = Batcher(recorder.run_batch, recorder.run_one)

    first = asyncio.create_task(batcher.submit(1))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert recorder.batches == [[1]]  # in flight, alone
    others = [asyncio.create_task(batcher.submit(item)) for item in (2, 3, 4)]
    await asyncio.sleep(0)
    recorder.release.set()

    assert await first == 2
    assert await asyncio.gather(*others) == [4, 6, 8]
    assert recorder.batches == [[1], [2, 3, 4]]
    assert recorder.singles == []


async def test_with_a_linger_items_arriving_within_it_share_the_first_batch() -> None:
    recorder = Recorder()
    recorder.release.set()
    batcher = Batcher(recorder.run_batch, recorder.run_one, linger_seconds=0.05)

    first = asyncio.create_task(batcher.submit(1))
    await asyncio.sleep(0.01)
    assert recorder.batches == []  # lingering
    others = [asyncio.create_task(batcher.submit(item)) for item in (2, 3)]

    assert await asyncio.gather(first, *others) == [2, 4, 6]
    assert recorder.batches == [[1, 2, 3]]


async def test_a_full_batch_does_not_linger() -> None:
    recorder = Recorder()
    recorder.release.set()
    batcher = Batcher(recorder.run_batch, recorder.run_one, max_size=2, linger_seconds=60)

    assert await asyncio.wait_for(asyncio.gather(batcher.submit(1), batcher.submit(2)), timeout=5) == [2, 4]
    assert recorder.batches == [[1, 2]]


def test_a_negative_linger_is_refused() -> None:
    with pytest.raises(ValueError, match="linger_seconds"):
        Batcher(Recorder().run_batch, Recorder().run_one, linger_seconds=-1)


async def test_a_batch_that_fails_is_run_item_by_item_and_only_the_bad_item_fails() -> None:
    recorder = Recorder(bad=3)
    recorder.release.set()
    batcher = Batcher(recorder.run_batch, recorder.run_one)

    results = await asyncio.gather(*(batcher.submit(item) for item in (2, 3, 4)), return_exceptions=True)

    assert results[0] == 4 and results[2] == 8
    assert isinstance(results[1], ValueError) and "item 3 refused" in str(results[1])
    assert recorder.singles == [2, 3, 4]


async def test_a_submitter_gone_away_leaves_the_others_their_answers() -> None:
    recorder = Recorder()
    batcher = Batcher(recorder.run_batch, recorder.run_one, max_size=2)

    tasks = [asyncio.create_task(batcher.submit(item)) for item in (1, 2, 3)]
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    tasks[1].cancel()
    recorder.release.set()

    assert await tasks[0] == 2 and await tasks[2] == 6
    assert tasks[1].cancelled()
    assert recorder.batches == [[1, 2], [3]]  # max_size


def test_max_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_size"):
        Batcher(Recorder().run_batch, Recorder().run_one, max_size=0)


async def test_drain_waits_for_a_lingering_batch() -> None:
    recorder = Recorder()
    recorder.release.set()
    batcher = Batcher(recorder.run_batch, recorder.run_one, linger_seconds=0.05)
    submitted = batcher.submit_soon(1)
    await batcher.drain()
    assert submitted.done() and recorder.batches == [[1]]
    await batcher.drain()  # nothing in flight: returns at once
