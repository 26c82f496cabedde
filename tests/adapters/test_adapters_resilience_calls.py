"""Bulkhead, retry policy and call_department with real asyncio."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from app.adapters.resilience import (
    Attempted,
    BreakerState,
    Bulkhead,
    BulkheadFull,
    CallFailed,
    CircuitBreaker,
    CircuitOpen,
    Deadline,
    DeadlineExceeded,
    LatencyWindow,
    ManualClock,
    RetryPolicy,
    call_department,
)

# Slack for a loaded CI machine's scheduling: below every wait a wrong answer would take (the
# shortest, an open breaker waiting out a 0.2 s budget for a slot).
EPSILON = 0.1


def transient(exc: BaseException) -> bool:
    return isinstance(exc, ConnectionError)


class Flaky:
    """Fails with the given errors in turn, then answers."""

    def __init__(self, *errors: Exception, value: str = "ok") -> None:
        self.errors = list(errors)
        self.calls = 0
        self.value = value

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return self.value


def fake_retry(clock: ManualClock, **kwargs: float) -> tuple[RetryPolicy, list[float]]:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds)

    return RetryPolicy(jitter=False, sleep=sleep, **kwargs), slept  # type: ignore[arg-type]


# Bulkhead


async def test_bulkhead_bounds_concurrency() -> None:
    bulkhead = Bulkhead("tax", max_concurrent=3)
    in_flight = 0
    peak = 0
    release = asyncio.Event()

    async def work() -> None:
        nonlocal in_flight, peak
        async with bulkhead.slot(Deadline.after(5)):
            in_flight += 1
            peak = max(peak, in_flight)
            await release.wait()
            await asyncio.sleep(0.001)
            in_flight -= 1

    tasks = [asyncio.create_task(work()) for _ in range(10)]
    await asyncio.sleep(0.01)
    assert (bulkhead.in_use, bulkhead.waiting) == (3, 7)
    release.set()
    await asyncio.gather(*tasks)
    assert peak == 3
    assert (bulkhead.in_use, bulkhead.waiting) == (0, 0)


async def test_bulkhead_gives_up_at_the_deadline() -> None:
    bulkhead = Bulkhead("tax", max_concurrent=1)
    release = asyncio.Event()

    async def hold() -> None:
        async with bulkhead.slot():
            await release.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    started = time.monotonic()
    with pytest.raises(BulkheadFull) as info:
        async with bulkhead.slot(Deadline.after(0.05)):
            pytest.fail("must not get a slot")
    elapsed = time.monotonic() - started
    assert 0.04 <= elapsed < 0.05 + EPSILON
    assert info.value.reason == "bulkhead_full"
    assert bulkhead.waiting == 0
    started = time.monotonic()
    with pytest.raises(BulkheadFull):
        async with bulkhead.slot():
            pytest.fail("without a deadline a full bulkhead must not queue")
    assert time.monotonic() - started < EPSILON
    release.set()
    await holder
    async with bulkhead.slot():
        assert bulkhead.in_use == 1


async def test_bulkhead_releases_slot_on_error() -> None:
    bulkhead = Bulkhead("tax", max_concurrent=1)
    with pytest.raises(ValueError, match="x"):
        async with bulkhead.slot():
            raise ValueError("x")
    assert bulkhead.in_use == 0
    async with bulkhead.slot():
        pass


# Retry


async def test_retry_never_retries_non_idempotent_calls() -> None:
    clock = ManualClock()
    retry, _ = fake_retry(clock, max_attempts=3)
    fn = Flaky(ConnectionError())
    with pytest.raises(ConnectionError):
        await retry.call(
            fn, deadline=Deadline.after(10, clock=clock), idempotent=False, is_transient=transient
        )
    assert fn.calls == 1


async def test_retry_never_retries_non_transient_errors() -> None:
    clock = ManualClock()
    retry, _ = fake_retry(clock, max_attempts=3)
    fn = Flaky(ValueError())
    with pytest.raises(ValueError):  # noqa: PT011
        await retry.call(
            fn, deadline=Deadline.after(10, clock=clock), idempotent=True, is_transient=transient
        )
    assert fn.calls == 1


async def test_retry_transient_errors_up_to_max_attempts() -> None:
    clock = ManualClock()
    retry, slept = fake_retry(clock, max_attempts=3, base_delay=0.1, max_delay=1.0)
    fn = Flaky(ConnectionError("1"), ConnectionError("2"), ConnectionError("3"))
    with pytest.raises(ConnectionError, match="3"):
        await retry.call(
            fn, deadline=Deadline.after(10, clock=clock), idempotent=True, is_transient=transient
        )
    assert fn.calls == 3
    assert slept == pytest.approx([0.1, 0.2])


async def test_retry_returns_value_and_attempt_count() -> None:
    clock = ManualClock()
    retry, _ = fake_retry(clock, max_attempts=3)
    result = await retry.call(
        Flaky(ConnectionError()),
        deadline=Deadline.after(10, clock=clock),
        idempotent=True,
        is_transient=transient,
    )
    assert result == Attempted("ok", 2)
    first_try = await retry.call(
        Flaky(), deadline=Deadline.after(10, clock=clock), idempotent=True, is_transient=transient
    )
    assert first_try.attempts == 1


@pytest.mark.parametrize(("budget", "calls"), [(0.06, 1), (0.08, 2)])
async def test_retry_only_when_deadline_leaves_room(budget: float, calls: int) -> None:
    clock = ManualClock()
    # Room needed: backoff 0.05 + min_attempt_seconds 0.02 = 0.07.
    retry, _ = fake_retry(clock, max_attempts=3, base_delay=0.05)
    fn = Flaky(ConnectionError(), ConnectionError())
    with pytest.raises(ConnectionError):
        await retry.call(
            fn,
            deadline=Deadline.after(budget, clock=clock),
            idempotent=True,
            is_transient=transient,
        )
    assert fn.calls == calls


async def test_retry_never_after_the_deadline() -> None:
    clock = ManualClock()
    retry, _ = fake_retry(clock, max_attempts=5)
    deadline = Deadline.after(1, clock=clock)
    calls = 0

    async def slow_failure() -> None:
        nonlocal calls
        calls += 1
        clock.advance(1)
        raise ConnectionError

    with pytest.raises(ConnectionError):
        await retry.call(slow_failure, deadline=deadline, idempotent=True, is_transient=transient)
    assert calls == 1
    with pytest.raises(DeadlineExceeded):
        await retry.call(slow_failure, deadline=deadline, idempotent=True, is_transient=transient)
    assert calls == 1


def test_retry_backoff_is_capped_and_jittered() -> None:
    plain = RetryPolicy(base_delay=0.05, max_delay=0.3, jitter=False)
    assert [plain.delay_before(n) for n in range(1, 6)] == pytest.approx([0.05, 0.1, 0.2, 0.3, 0.3])
    jittered = RetryPolicy(base_delay=0.2, max_delay=1.0)
    delays = {jittered.delay_before(1) for _ in range(50)}
    assert all(0.1 <= d <= 0.2 for d in delays)
    assert len(delays) > 1


# call_department


@dataclass
class Guards:
    breaker: CircuitBreaker = field(
        default_factory=lambda: CircuitBreaker("hr", failure_threshold=5, open_seconds=10)
    )
    bulkhead: Bulkhead = field(default_factory=lambda: Bulkhead("hr", max_concurrent=10))
    retry: RetryPolicy = field(
        default_factory=lambda: RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02)
    )
    window: LatencyWindow = field(default_factory=LatencyWindow)

    async def call(
        self,
        fn: Callable[[], Awaitable[str]],
        *,
        budget: float = 1.0,
        call_timeout: float = 0.5,
        idempotent: bool = True,
        is_answer: Callable[[BaseException], bool] = lambda _: False,
        slow_call_seconds: float = 0.0,
    ) -> str:
        return await call_department(
            fn,
            breaker=self.breaker,
            bulkhead=self.bulkhead,
            retry=self.retry,
            deadline=Deadline.after(budget),
            call_timeout=call_timeout,
            idempotent=idempotent,
            is_transient=transient,
            window=self.window,
            is_answer=is_answer,
            slow_call_seconds=slow_call_seconds,
        )


class Hang:
    def __init__(self, answer_after: int | None = None) -> None:
        self.calls = 0
        self.answer_after = answer_after

    async def __call__(self) -> str:
        self.calls += 1
        if self.answer_after is not None and self.calls > self.answer_after:
            return "late ok"
        await asyncio.sleep(10)
        return "never"


async def test_call_department_returns_value_and_records_latency() -> None:
    g = Guards()
    assert await g.call(Flaky(value="record")) == "record"
    summary = g.window.summary()
    assert summary["count"] == 1
    assert summary["error_rate"] == 0.0


async def test_call_department_slow_call_ends_at_the_deadline() -> None:
    g = Guards()
    fn = Hang()
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded) as info:
        await g.call(fn, budget=0.1, call_timeout=5.0)
    assert time.monotonic() - started < 0.1 + EPSILON
    assert info.value.reason == "deadline"
    assert info.value.attempts == 1
    assert info.value.department == "hr"
    assert g.breaker.consecutive_failures == 1
    assert g.window.summary()["error_rate"] == 1.0


async def test_a_call_the_caller_gave_too_little_time_does_not_count_against_the_department() -> (
    None
):
    # An overloaded caller reaching the department with 50 ms left must not open the breaker
    # of a healthy department; a call that had its fair time and no answer does count.
    g = Guards()
    for _ in range(3):
        with pytest.raises(DeadlineExceeded):
            await g.call(Hang(), budget=0.05, call_timeout=5.0, slow_call_seconds=0.2)
    assert (g.breaker.consecutive_failures, g.breaker.state) == (0, BreakerState.CLOSED)
    with pytest.raises(DeadlineExceeded):
        await g.call(Hang(), budget=0.25, call_timeout=5.0, slow_call_seconds=0.2)
    assert g.breaker.consecutive_failures == 1


async def test_call_department_retries_a_per_call_timeout() -> None:
    g = Guards()
    fn = Hang(answer_after=1)
    assert await g.call(fn, budget=1.0, call_timeout=0.03) == "late ok"
    assert fn.calls == 2


async def test_call_department_retries_transient_errors() -> None:
    g = Guards()
    fn = Flaky(ConnectionError())
    assert await g.call(fn) == "ok"
    assert fn.calls == 2
    assert g.breaker.consecutive_failures == 0


async def test_call_department_wraps_other_errors_as_call_failed() -> None:
    g = Guards()
    error = RuntimeError("bad payload")
    fn = Flaky(error)
    with pytest.raises(CallFailed) as info:
        await g.call(fn)
    assert info.value.cause is error
    assert info.value.reason == "error"
    assert info.value.attempts == 1
    assert fn.calls == 1


async def test_call_department_non_idempotent_is_not_retried() -> None:
    g = Guards()
    fn = Flaky(ConnectionError())
    with pytest.raises(CallFailed) as info:
        await g.call(fn, idempotent=False)
    assert isinstance(info.value.cause, ConnectionError)
    assert fn.calls == 1


async def test_call_department_answers_propagate_and_count_as_success() -> None:
    g = Guards()
    g.breaker.record_failure()
    fn = Flaky(KeyError("no such person"), ConnectionError())
    with pytest.raises(KeyError):
        await g.call(fn, is_answer=lambda exc: isinstance(exc, KeyError))
    assert fn.calls == 1
    assert g.breaker.consecutive_failures == 0
    assert g.window.summary()["error_rate"] == 0.0


async def test_call_department_open_breaker_rejects_without_calling() -> None:
    g = Guards(breaker=CircuitBreaker("hr", failure_threshold=1))
    g.breaker.record_failure()
    fn = Flaky()
    started = time.monotonic()
    with pytest.raises(CircuitOpen) as info:
        await g.call(fn)
    assert time.monotonic() - started < EPSILON
    assert fn.calls == 0
    assert info.value.attempts == 0
    assert g.window.summary()["count"] == 0


async def test_call_department_open_breaker_does_not_wait_for_a_slot() -> None:
    g = Guards(bulkhead=Bulkhead("hr", max_concurrent=1))
    blocker = asyncio.create_task(g.call(Hang(), budget=0.5, call_timeout=1.0))
    await asyncio.sleep(0.01)
    for _ in range(5):
        g.breaker.record_failure()
    started = time.monotonic()
    with pytest.raises(CircuitOpen):
        await g.call(Flaky(), budget=0.2)
    assert time.monotonic() - started < EPSILON
    blocker.cancel()
    with pytest.raises(asyncio.CancelledError):
        await blocker


async def test_call_department_full_bulkhead_gives_up_at_deadline() -> None:
    g = Guards(bulkhead=Bulkhead("hr", max_concurrent=1))
    blocker = asyncio.create_task(g.call(Hang(), budget=0.5, call_timeout=1.0))
    await asyncio.sleep(0.01)
    fn = Flaky()
    started = time.monotonic()
    with pytest.raises(BulkheadFull):
        await g.call(fn, budget=0.05)
    assert time.monotonic() - started < 0.05 + EPSILON
    assert fn.calls == 0
    blocker.cancel()
    with pytest.raises(asyncio.CancelledError):
        await blocker
    # A cancelled call says nothing about the department's latency.
    assert g.window.summary()["count"] == 0


# With fewer slots than callers, the queued callers meet the open breaker instead of the department.
@pytest.mark.parametrize(("slots", "expected_calls"), [(20, 20), (10, 10)])
async def test_call_department_hanging_department_has_no_retry_amplification(
    slots: int, expected_calls: int
) -> None:
    g = Guards(
        breaker=CircuitBreaker("hr", failure_threshold=5, open_seconds=10),
        bulkhead=Bulkhead("hr", max_concurrent=slots),
    )
    fn = Hang()
    budget = 0.3
    started = time.monotonic()
    results = await asyncio.gather(
        *(g.call(fn, budget=budget, call_timeout=0.05) for _ in range(20)),
        return_exceptions=True,
    )
    assert time.monotonic() - started < budget + EPSILON
    assert all(isinstance(r, CircuitOpen) for r in results)
    # Each request timed out once; the breaker opened before any retry reached the department.
    assert fn.calls == expected_calls
    assert g.breaker.state is BreakerState.OPEN
