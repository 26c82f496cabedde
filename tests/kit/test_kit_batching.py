"""Calls made together: each caller gets its own item's result, or its batch's failure."""

from __future__ import annotations

import asyncio

import pytest

from app.kit.batching import Batcher


class Doubler:
    """Doubles each item; the batches it ran, and a batch to fail on the way."""

    def __init__(self, *, held: bool = False) -> None:
        self.batches: list[list[int]] = []
        self.fail_next = False
        self.release = asyncio.Event()
        if not held:
            self.release.set()

    async def run(self, items: list[int]) -> list[int]:
        self.batches.append(items)
        await self.release.wait()
        if self.fail_next:
            self.fail_next = False
            raise ValueError(f"batch {items} failed")
        return [item * 2 for item in items]


Task = asyncio.Task[int]


async def _in_flight(batcher: Batcher[int, int], first: int, *then: int) -> tuple[Task, list[Task]]:
    """`first`'s call running (held by its Doubler), and `then` handed in meanwhile."""
    running = asyncio.create_task(batcher.submit(first))
    await asyncio.sleep(0)
    waiting = [asyncio.create_task(batcher.submit(item)) for item in then]
    await asyncio.sleep(0)
    return running, waiting


async def test_a_lone_call_runs_at_once_as_a_batch_of_one() -> None:
    doubler = Doubler()
    batcher = Batcher(doubler.run, lone_call_at_once=True)
    assert await batcher.submit(21) == 42
    assert await batcher.submit(5) == 10
    assert doubler.batches == [[21], [5]]


async def test_calls_made_while_a_batch_runs_go_together_in_the_next() -> None:
    doubler = Doubler(held=True)
    batcher = Batcher(doubler.run, lone_call_at_once=True)
    first, rest = await _in_flight(batcher, 1, 2, 3, 4)
    doubler.release.set()
    assert await first == 2
    assert await asyncio.gather(*rest) == [4, 6, 8]
    assert doubler.batches == [[1], [2, 3, 4]]


async def test_a_failed_batch_fails_its_callers_only() -> None:
    doubler = Doubler(held=True)
    doubler.fail_next = True
    batcher = Batcher(doubler.run, lone_call_at_once=True)
    held, doomed = await _in_flight(batcher, 1, 2, 3)
    doubler.release.set()
    with pytest.raises(ValueError, match="batch \\[1\\] failed"):
        await held
    # The batch after the failed one runs as usual.
    assert await asyncio.gather(*doomed) == [4, 6]
    assert await batcher.submit(7) == 14


async def test_a_caller_that_goes_away_leaves_the_others_their_answers() -> None:
    doubler = Doubler(held=True)
    batcher = Batcher(doubler.run, lone_call_at_once=True)
    running, waiting = await _in_flight(batcher, 1, 2, 3)
    running.cancel()  # its own call is cancelled; the batch gathered meanwhile still runs
    await asyncio.sleep(0)
    later = asyncio.create_task(batcher.submit(4))
    await asyncio.sleep(0)
    waiting[0].cancel()  # goes away while its batch runs: its result is dropped
    doubler.release.set()
    assert await waiting[1] == 6
    assert await later == 8
    for cancelled in (running, waiting[0]):
        with pytest.raises(asyncio.CancelledError):
            await cancelled
    assert doubler.batches == [[1], [2, 3], [4]]


async def test_without_lone_calls_a_burst_started_together_lands_together() -> None:
    doubler = Doubler(held=True)
    batcher = Batcher(doubler.run)
    burst = asyncio.gather(*(batcher.submit(item) for item in (1, 2, 3)))
    await asyncio.sleep(0)
    doubler.release.set()
    assert await burst == [2, 4, 6]
    assert await batcher.submit(4) == 8
    assert doubler.batches == [[1, 2, 3], [4]]


async def test_with_lone_calls_the_first_of_a_burst_runs_alone() -> None:
    doubler = Doubler(held=True)
    batcher = Batcher(doubler.run, lone_call_at_once=True)
    burst = asyncio.gather(*(batcher.submit(item) for item in (1, 2, 3)))
    await asyncio.sleep(0)
    doubler.release.set()
    assert await burst == [2, 4, 6]
    assert doubler.batches == [[1], [2, 3]]
