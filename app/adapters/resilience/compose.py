"""One department call with every guard applied: bulkhead, breaker, retry, timeout, latency."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from app.adapters.resilience.breaker import BreakerState, CircuitBreaker
from app.adapters.resilience.bulkhead import Bulkhead
from app.adapters.resilience.deadline import Deadline
from app.adapters.resilience.errors import (
    CallFailed,
    CallTimeout,
    CircuitOpen,
    DeadlineExceeded,
    ExchangeUnavailable,
)
from app.adapters.resilience.retry import RetryPolicy
from app.adapters.resilience.window import LatencyWindow

T = TypeVar("T")


def _never(_: BaseException) -> bool:
    return False


async def call_department(
    fn: Callable[[], Awaitable[T]],
    *,
    breaker: CircuitBreaker,
    bulkhead: Bulkhead,
    retry: RetryPolicy,
    deadline: Deadline,
    call_timeout: float,
    idempotent: bool,
    is_transient: Callable[[BaseException], bool],
    window: LatencyWindow | None = None,
    is_answer: Callable[[BaseException], bool] = _never,
    slow_call_seconds: float = 0.0,
) -> T:
    """Call a department once, with retries, never past the deadline; return its value.

    Order: a fast CircuitOpen check, then a bulkhead slot for the whole call (waiting at most
    until the deadline), then the retry loop; each attempt passes the breaker and runs with a
    timeout of min(call_timeout, time left). The breaker sits inside the retry loop so that each
    request is one breaker outcome and an opening breaker stops further retries. Per-call
    timeouts are transient. Exceptions for which `is_answer(exc)` is true (e.g. "not found")
    are answers: they count as breaker successes, are not retried and propagate unchanged.
    An attempt the deadline cut short before it had `slow_call_seconds` to run counts for
    nothing: a caller short of time (its own server overloaded, say) must not open the
    breaker of a healthy department. Anything else surfaces as an ExchangeUnavailable subclass
    with `reason` and `attempts`.
    """
    attempts = 0

    def transient(exc: BaseException) -> bool:
        return isinstance(exc, CallTimeout) or (
            not isinstance(exc, ExchangeUnavailable) and not is_answer(exc) and is_transient(exc)
        )

    async def attempt() -> T:
        nonlocal attempts
        allowed = deadline.timeout_for(call_timeout)

        def cut_short(exc: BaseException) -> bool:
            return isinstance(exc, DeadlineExceeded) and allowed < slow_call_seconds

        async with breaker.guard(excluded=is_answer, inconclusive=cut_short):
            attempts += 1
            return await deadline.run(fn, call_timeout)

    clock = window.clock if window is not None else deadline.clock
    started = clock.monotonic()
    ok = False
    cancelled = False
    try:
        if breaker.state is BreakerState.OPEN:
            raise CircuitOpen(breaker.name, retry_in=breaker.retry_in())
        async with bulkhead.slot(deadline):
            result = await retry.call(
                attempt, deadline=deadline, idempotent=idempotent, is_transient=transient
            )
        ok = True
        return result.value
    except ExchangeUnavailable as exc:
        exc.department = exc.department or breaker.name
        exc.attempts = attempts
        raise
    except Exception as exc:
        if is_answer(exc):
            ok = True
            raise
        failed = CallFailed(exc, department=breaker.name)
        failed.attempts = attempts
        raise failed from exc
    except asyncio.CancelledError:
        cancelled = True
        raise
    finally:
        # Rejections and cancellations say nothing about the department's latency.
        if window is not None and attempts > 0 and not cancelled:
            window.record(clock.monotonic() - started, ok)
