"""Resilience primitives for department calls: deadline, breaker, bulkhead, retry, latency.

Framework-free (stdlib only): callers pass in what failed and decide what is transient.
"""

from app.adapters.resilience.breaker import BreakerSnapshot, BreakerState, CircuitBreaker
from app.adapters.resilience.bulkhead import Bulkhead
from app.adapters.resilience.clock import SYSTEM_CLOCK, Clock, ManualClock, SystemClock
from app.adapters.resilience.compose import call_department
from app.adapters.resilience.deadline import Deadline
from app.adapters.resilience.errors import (
    BulkheadFull,
    CallFailed,
    CallTimeout,
    CircuitOpen,
    DeadlineExceeded,
    ExchangeUnavailable,
)
from app.adapters.resilience.retry import Attempted, RetryPolicy
from app.adapters.resilience.window import LatencySummary, LatencyWindow, percentile

__all__ = [
    "SYSTEM_CLOCK",
    "Attempted",
    "BreakerSnapshot",
    "BreakerState",
    "Bulkhead",
    "BulkheadFull",
    "CallFailed",
    "CallTimeout",
    "CircuitBreaker",
    "CircuitOpen",
    "Clock",
    "Deadline",
    "DeadlineExceeded",
    "ExchangeUnavailable",
    "LatencySummary",
    "LatencyWindow",
    "ManualClock",
    "RetryPolicy",
    "SystemClock",
    "call_department",
    "percentile",
]
