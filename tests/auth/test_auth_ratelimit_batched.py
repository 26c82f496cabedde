"""Batched rate limits (app.auth.ratelimit_batched): exact in one process, within the documented
bound across processes, and still holding when the shared counters cannot be reached."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping

import pytest

from app.auth.ratelimit import Limit
from app.auth.ratelimit_batched import Addition, BatchedLimiter
from app.kit import clock

LIMIT = Limit("test.batched", 100, 60)
BATCH = 5  # a twentieth of 100


class SharedCounters:
    """The counters of several processes in memory, each addition after a little latency."""

    def __init__(self) -> None:
        self.totals: dict[str, int] = {}
        self.round_trips = 0
        self.reachable = True

    async def add(self, additions: Mapping[str, Addition]) -> dict[str, int]:
        self.round_trips += 1
        # Not security-relevant: it only interleaves the processes' syncs.
        await asyncio.sleep(random.uniform(0, 0.003))
        if not self.reachable:
            raise OSError("counters unreachable")
        for key, addition in additions.items():
            self.totals[key] = self.totals.get(key, 0) + addition.hits
        return {key: self.totals[key] for key in additions}


@pytest.fixture(autouse=True)
def mid_minute() -> object:
    """Every hit of a test in one window: the clock well inside a minute."""
    clock.travel_to(clock.utcnow().replace(second=5, microsecond=0))
    yield None
    clock.back_to_real_time()


async def _admitted(limiter: BatchedLimiter, hits: int, key: str = "203.0.113.9") -> int:
    verdicts = await asyncio.gather(*(limiter.hit(LIMIT, key) for _ in range(hits)))
    return sum(verdict.allowed for verdict in verdicts)


async def test_one_process_admits_exactly_the_limit_in_few_round_trips() -> None:
    counters = SharedCounters()
    limiter = BatchedLimiter(counters, sync_seconds=60)
    admitted = 0
    for _ in range(150):
        admitted += (await limiter.hit(LIMIT, "203.0.113.9")).allowed
    await limiter.close()
    assert admitted == LIMIT.hits
    assert list(counters.totals.values()) == [LIMIT.hits]
    # One sync a batch (and none for the refused hits), not one a hit.
    assert counters.round_trips <= LIMIT.hits // BATCH + 1


async def test_processes_together_stay_within_the_documented_bound() -> None:
    """limit − 1 + (P + 1) × batch, whatever the interleaving of hits and syncs."""
    for _ in range(20):
        counters = SharedCounters()
        processes = [BatchedLimiter(counters, sync_seconds=0.001) for _ in range(3)]
        admitted = sum(await asyncio.gather(*(_admitted(limiter, 80) for limiter in processes)))
        for limiter in processes:
            await limiter.close()
        assert LIMIT.hits <= admitted <= LIMIT.hits - 1 + (len(processes) + 1) * BATCH
        assert sum(counters.totals.values()) == admitted  # every admitted hit was added


async def test_keys_and_limits_are_counted_apart() -> None:
    limiter = BatchedLimiter(SharedCounters())
    assert await _admitted(limiter, 120, "203.0.113.9") == LIMIT.hits
    assert await _admitted(limiter, 3, "198.51.100.7") == 3
    other = Limit("test.other", 2, 60)
    assert [(await limiter.hit(other, "203.0.113.9")).allowed for _ in range(3)] == [
        True,
        True,
        False,
    ]
    await limiter.close()


async def test_a_refusal_says_when_the_window_ends() -> None:
    limiter = BatchedLimiter(SharedCounters())
    await _admitted(limiter, LIMIT.hits)
    refused = await limiter.hit(LIMIT, "203.0.113.9")
    await limiter.close()
    assert not refused.allowed
    assert 1 <= refused.retry_after <= 56  # the clock stands at :05 of its minute


async def test_unreachable_counters_leave_each_process_holding_the_limit_alone() -> None:
    counters = SharedCounters()
    counters.reachable = False
    limiter = BatchedLimiter(counters, sync_seconds=0.01)
    admitted = 0
    for _ in range(130):
        admitted += (await limiter.hit(LIMIT, "203.0.113.9")).allowed
    assert admitted == LIMIT.hits  # no batch to wait for, and never more than the limit
    assert counters.totals == {}
    counters.reachable = True
    await limiter.sync()
    await limiter.close()
    # What the process counted alone is added once the counters are back.
    assert list(counters.totals.values()) == [LIMIT.hits]


async def test_anchored_limits_are_not_batched() -> None:
    limiter = BatchedLimiter(SharedCounters())
    with pytest.raises(ValueError, match="aligned"):
        await limiter.hit(Limit("test.cooldown", 1, 60, anchored=True), "203.0.113.9")


class SlowCounters(SharedCounters):
    """Counters that add the hits, then take their time to answer (a commit's round trip)."""

    def __init__(self) -> None:
        super().__init__()
        self.added = asyncio.Event()
        self.answer = asyncio.Event()

    async def add(self, additions: Mapping[str, Addition]) -> dict[str, int]:
        for key, addition in additions.items():
            self.totals[key] = self.totals.get(key, 0) + addition.hits
        self.added.set()
        await self.answer.wait()
        return {key: self.totals[key] for key in additions}


async def test_stopping_during_a_sync_sends_its_hits_once() -> None:
    counters = SlowCounters()
    limiter = BatchedLimiter(counters, sync_seconds=0.001)
    assert (await limiter.hit(LIMIT, "203.0.113.9")).allowed
    await asyncio.wait_for(counters.added.wait(), timeout=5)  # the background sync is sending
    closing = asyncio.create_task(limiter.close())
    await asyncio.sleep(0.05)
    counters.answer.set()
    await asyncio.wait_for(closing, timeout=5)
    assert list(counters.totals.values()) == [1]
