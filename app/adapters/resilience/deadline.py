"""A total time budget shared by every call of one gathering."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from app.adapters.resilience.clock import SYSTEM_CLOCK, Clock
from app.adapters.resilience.errors import CallTimeout, DeadlineExceeded

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Deadline:
    """An absolute point on a monotonic clock after which no work should continue."""

    expires_at: float
    clock: Clock = SYSTEM_CLOCK

    @classmethod
    def after(cls, seconds: float, *, clock: Clock = SYSTEM_CLOCK) -> Deadline:
        """Return a deadline `seconds` from now."""
        return cls(expires_at=clock.monotonic() + seconds, clock=clock)

    def time_left(self) -> float:
        """Seconds remaining, never negative."""
        return max(0.0, self.expires_at - self.clock.monotonic())

    @property
    def expired(self) -> bool:
        """Whether no time is left."""
        return self.time_left() <= 0.0

    def timeout_for(self, call_timeout: float) -> float:
        """The timeout one call may use: min(call_timeout, time left), never negative."""
        return max(0.0, min(call_timeout, self.time_left()))

    async def run(
        self, factory: Callable[[], Awaitable[T]], call_timeout: float | None = None
    ) -> T:
        """Await `factory()` bounded by the call timeout and the deadline.

        Raises DeadlineExceeded when the deadline is what cut the call short (or had already
        passed, in which case `factory` is not called), CallTimeout when the shorter per-call
        timeout did.
        """
        left = self.time_left()
        if left <= 0.0:
            raise DeadlineExceeded("deadline passed before the call")
        limit = math.inf if call_timeout is None else call_timeout
        by_deadline = left <= limit
        timeout = self.timeout_for(limit)
        scope = asyncio.timeout(timeout)
        try:
            async with scope:
                return await factory()
        except TimeoutError as exc:
            if not scope.expired():
                raise  # the call's own TimeoutError, not our limit
            if by_deadline:
                raise DeadlineExceeded(f"deadline passed after {timeout:.3f}s") from exc
            raise CallTimeout(f"call timed out after {timeout:.3f}s") from exc
