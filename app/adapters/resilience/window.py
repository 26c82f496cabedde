"""Recent latency and error rate of one department, for the exchange status endpoint."""

from __future__ import annotations

import math
from collections import deque
from typing import NamedTuple, TypedDict

from app.adapters.resilience.clock import SYSTEM_CLOCK, Clock


class LatencySummary(TypedDict):
    """Counts and percentiles over the window; None when there are no samples."""

    count: int
    p50_ms: float | None
    p95_ms: float | None
    error_rate: float | None


class _Sample(NamedTuple):
    at: float
    duration: float
    ok: bool


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending, non-empty list (p in 0..100)."""
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


class LatencyWindow:
    """The last `window_seconds` of call outcomes, at most `max_samples` of them."""

    def __init__(
        self,
        window_seconds: float = 60.0,
        max_samples: int = 1000,
        *,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.window_seconds = window_seconds
        self.clock = clock
        self._samples: deque[_Sample] = deque(maxlen=max_samples)

    def record(self, duration_seconds: float, ok: bool) -> None:
        """Add one call's duration and whether it produced an answer."""
        self._samples.append(_Sample(self.clock.monotonic(), duration_seconds, ok))

    def summary(self) -> LatencySummary:
        """Count, p50/p95 in milliseconds (all calls, failed ones too) and error rate."""
        cutoff = self.clock.monotonic() - self.window_seconds
        while self._samples and self._samples[0].at < cutoff:
            self._samples.popleft()
        if not self._samples:
            return LatencySummary(count=0, p50_ms=None, p95_ms=None, error_rate=None)
        durations = sorted(sample.duration * 1000 for sample in self._samples)
        errors = sum(1 for sample in self._samples if not sample.ok)
        return LatencySummary(
            count=len(durations),
            p50_ms=percentile(durations, 50),
            p95_ms=percentile(durations, 95),
            error_rate=errors / len(durations),
        )
