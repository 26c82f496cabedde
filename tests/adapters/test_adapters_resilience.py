"""Deadline, circuit breaker and latency window, driven by a fake clock."""

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from app.adapters.resilience import (
    BreakerState,
    CallTimeout,
    CircuitBreaker,
    CircuitOpen,
    Deadline,
    DeadlineExceeded,
    LatencyWindow,
    ManualClock,
)


class Boom(Exception):
    pass


async def fail(breaker: CircuitBreaker, times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(Boom):
            async with breaker.guard():
                raise Boom


async def succeed(breaker: CircuitBreaker) -> None:
    async with breaker.guard():
        pass


# Deadline


def test_deadline_timeout_for_is_min_of_call_timeout_and_time_left() -> None:
    clock = ManualClock()
    deadline = Deadline.after(2.0, clock=clock)
    assert deadline.time_left() == 2.0
    assert deadline.timeout_for(5.0) == 2.0
    assert deadline.timeout_for(0.5) == 0.5
    clock.advance(1.5)
    assert deadline.timeout_for(5.0) == pytest.approx(0.5)
    assert not deadline.expired
    clock.advance(1.0)
    assert deadline.time_left() == 0.0
    assert deadline.timeout_for(5.0) == 0.0
    assert deadline.expired


async def test_deadline_run_returns_value() -> None:
    async def answer() -> int:
        return 42

    assert await Deadline.after(1.0).run(answer, 0.5) == 42


async def test_deadline_run_does_not_start_after_expiry() -> None:
    clock = ManualClock()
    deadline = Deadline.after(1.0, clock=clock)
    clock.advance(1.0)
    calls = 0

    async def work() -> None:
        nonlocal calls
        calls += 1

    with pytest.raises(DeadlineExceeded) as info:
        await deadline.run(work, 5.0)
    assert calls == 0
    assert info.value.reason == "deadline"


async def test_deadline_run_cuts_slow_call_at_deadline() -> None:
    deadline = Deadline.after(0.05)
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        await deadline.run(lambda: asyncio.sleep(5), 10.0)
    assert time.monotonic() - started < 0.05 + 0.1  # the call would sleep 5 s


async def test_deadline_run_shorter_call_timeout_is_call_timeout() -> None:
    deadline = Deadline.after(5.0)
    started = time.monotonic()
    with pytest.raises(CallTimeout) as info:
        await deadline.run(lambda: asyncio.sleep(5), 0.03)
    assert time.monotonic() - started < 0.03 + 0.1
    assert info.value.reason == "timeout"


async def test_deadline_run_keeps_the_calls_own_timeout_error() -> None:
    async def own_timeout() -> None:
        raise TimeoutError("from the client")

    with pytest.raises(TimeoutError, match="from the client") as info:
        await Deadline.after(1.0).run(own_timeout, 0.5)
    assert not isinstance(info.value, DeadlineExceeded | CallTimeout)


# Circuit breaker


async def test_breaker_opens_after_threshold_consecutive_failures_and_rejects() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker("tax", failure_threshold=3, open_seconds=10, clock=clock)
    await fail(breaker, 2)
    assert breaker.state is BreakerState.CLOSED
    assert breaker.consecutive_failures == 2
    await fail(breaker)
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow()
    ran = False
    with pytest.raises(CircuitOpen) as info:
        async with breaker.guard():
            ran = True
    assert not ran
    assert info.value.reason == "circuit_open"
    assert info.value.retry_in == 10


async def test_breaker_success_resets_streak() -> None:
    breaker = CircuitBreaker("tax", failure_threshold=3, clock=ManualClock())
    await fail(breaker, 2)
    await succeed(breaker)
    assert breaker.consecutive_failures == 0
    await fail(breaker, 2)
    assert breaker.state is BreakerState.CLOSED


async def test_breaker_streak_older_than_window_starts_over() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker("tax", failure_threshold=3, window_seconds=30, clock=clock)
    await fail(breaker, 2)
    clock.advance(31)
    await fail(breaker)
    assert breaker.state is BreakerState.CLOSED
    assert breaker.consecutive_failures == 1
    await fail(breaker, 2)
    assert breaker.state is BreakerState.OPEN


async def test_breaker_half_open_after_open_seconds_admits_exactly_max_probes() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(
        "hr", failure_threshold=1, open_seconds=10, half_open_max_calls=2, clock=clock
    )
    await fail(breaker)
    clock.advance(9.9)
    assert breaker.state is BreakerState.OPEN
    clock.advance(0.1)
    assert breaker.state is BreakerState.HALF_OPEN

    release = asyncio.Event()
    entered = 0

    async def probe() -> None:
        nonlocal entered
        async with breaker.guard():
            entered += 1
            await release.wait()

    tasks = [asyncio.create_task(probe()) for _ in range(3)]
    await asyncio.sleep(0)
    assert entered == 2
    rejected = [t for t in tasks if t.done()]
    assert len(rejected) == 1
    assert isinstance(rejected[0].exception(), CircuitOpen)
    release.set()
    await asyncio.gather(*(t for t in tasks if t not in rejected))
    assert breaker.state is BreakerState.CLOSED
    assert breaker.consecutive_failures == 0


async def test_breaker_probe_failure_reopens_and_restarts_timer() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker("hr", failure_threshold=2, open_seconds=10, clock=clock)
    await fail(breaker, 2)
    clock.advance(10)
    assert breaker.state is BreakerState.HALF_OPEN
    await fail(breaker)
    assert breaker.state is BreakerState.OPEN
    assert breaker.retry_in() == 10
    clock.advance(9)
    assert breaker.state is BreakerState.OPEN
    clock.advance(1)
    await succeed(breaker)
    assert breaker.state is BreakerState.CLOSED


async def test_breaker_excluded_exceptions_count_as_success_and_propagate() -> None:
    breaker = CircuitBreaker("civil", failure_threshold=2, clock=ManualClock())
    await fail(breaker)
    for _ in range(5):
        with pytest.raises(KeyError):
            async with breaker.guard(excluded=lambda exc: isinstance(exc, LookupError)):
                raise KeyError("no such person")
    assert breaker.state is BreakerState.CLOSED
    assert breaker.consecutive_failures == 0


async def test_breaker_cancelled_probe_frees_its_slot() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker("hr", failure_threshold=1, open_seconds=1, clock=clock)
    await fail(breaker)
    clock.advance(1)

    async def hang() -> None:
        async with breaker.guard():
            await asyncio.Event().wait()

    task = asyncio.create_task(hang())
    await asyncio.sleep(0)
    assert not breaker.allow()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow()


async def test_breaker_ignores_results_of_calls_from_an_older_state() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker("hr", failure_threshold=1, open_seconds=10, clock=clock)
    release = asyncio.Event()

    async def slow_success() -> None:
        async with breaker.guard():
            await release.wait()

    task = asyncio.create_task(slow_success())
    await asyncio.sleep(0)
    await fail(breaker)
    clock.advance(10)
    assert breaker.state is BreakerState.HALF_OPEN
    # Admitted while closed, finishing while half-open: it is no probe and must not close it.
    release.set()
    await task
    assert breaker.state is BreakerState.HALF_OPEN


def test_breaker_manual_allow_and_record() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker("tax", failure_threshold=2, open_seconds=5, clock=clock)
    assert breaker.allow()
    breaker.record_failure()
    breaker.record_failure()
    assert not breaker.allow()
    clock.advance(5)
    assert breaker.allow()
    assert not breaker.allow()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    assert breaker.allow()


async def test_breaker_snapshot() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker("tax", failure_threshold=2, open_seconds=10, clock=clock)
    assert breaker.snapshot() == {
        "name": "tax",
        "state": "closed",
        "consecutive_failures": 0,
        "opened_at": None,
        "retry_in": None,
    }
    await fail(breaker, 2)
    clock.advance(4)
    snap = breaker.snapshot()
    assert snap["state"] == "open"
    assert snap["consecutive_failures"] == 2
    assert snap["retry_in"] == pytest.approx(6)
    assert snap["opened_at"] is not None
    expected = datetime.now(UTC) - timedelta(seconds=4)
    assert abs((snap["opened_at"] - expected).total_seconds()) < 1


# Latency window


def test_window_percentiles_and_error_rate() -> None:
    window = LatencyWindow(clock=ManualClock())
    for ms in range(100, 0, -1):
        window.record(ms / 1000, ok=ms % 10 != 0)
    summary = window.summary()
    assert summary["count"] == 100
    assert summary["p50_ms"] == pytest.approx(50)
    assert summary["p95_ms"] == pytest.approx(95)
    assert summary["error_rate"] == pytest.approx(0.1)


def test_window_drops_old_samples() -> None:
    clock = ManualClock()
    window = LatencyWindow(window_seconds=60, clock=clock)
    window.record(1.0, ok=False)
    clock.advance(30)
    window.record(0.2, ok=True)
    clock.advance(31)
    summary = window.summary()
    assert summary["count"] == 1
    assert summary["p95_ms"] == pytest.approx(200)
    assert summary["error_rate"] == 0.0
    clock.advance(30)
    assert window.summary() == {"count": 0, "p50_ms": None, "p95_ms": None, "error_rate": None}


def test_window_keeps_at_most_max_samples() -> None:
    window = LatencyWindow(max_samples=5, clock=ManualClock())
    for i in range(10):
        window.record(i / 1000, ok=True)
    summary = window.summary()
    assert summary["count"] == 5
    assert summary["p50_ms"] == pytest.approx(7)
