"""The monotonic clock every resilience primitive reads, injectable so tests control time."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """A source of monotonic seconds."""

    def monotonic(self) -> float:
        """Return monotonic seconds (arbitrary origin, never goes backwards)."""
        ...


class SystemClock:
    """The real clock: `time.monotonic`, the same clock asyncio's timers use."""

    def monotonic(self) -> float:
        """Return `time.monotonic()`."""
        return time.monotonic()


SYSTEM_CLOCK: Clock = SystemClock()


class ManualClock:
    """A clock that moves only when told to: for tests and for replaying recorded timings."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def monotonic(self) -> float:
        """Return the current manual time."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds
