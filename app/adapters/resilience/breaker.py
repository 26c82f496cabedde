"""A circuit breaker per department: stop calling a department that keeps failing.

Rule: the breaker opens after `failure_threshold` consecutive failures, all within
`window_seconds` of the first failure of the streak (a streak older than the window starts over,
so rare failures spread over hours never open it); any success resets the streak. After
`open_seconds` it lets `half_open_max_calls` concurrent probes through: the first probe success
closes it, a probe failure re-opens it and restarts the timer. Results of calls admitted before
the last state change are ignored, so a slow call from an old state cannot flip the current one.
"""

from __future__ import annotations

import enum
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypedDict

from app.adapters.resilience.clock import SYSTEM_CLOCK, Clock
from app.adapters.resilience.errors import CircuitOpen


class BreakerState(enum.StrEnum):
    """Where the breaker is in its cycle."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class BreakerSnapshot(TypedDict):
    """The breaker's state for the admin status endpoint."""

    name: str
    state: str
    consecutive_failures: int
    opened_at: datetime | None
    retry_in: float | None


@dataclass(frozen=True, slots=True)
class _Permit:
    generation: int
    probe: bool


def _never(_: BaseException) -> bool:
    return False


class CircuitBreaker:
    """Closed → open after repeated failures → half-open probes → closed or open again."""

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        window_seconds: float = 30.0,
        open_seconds: float = 10.0,
        half_open_max_calls: int = 1,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        if failure_threshold < 1 or half_open_max_calls < 1:
            raise ValueError("failure_threshold and half_open_max_calls must be at least 1")
        self.name = name
        self.failure_threshold = failure_threshold
        self.window_seconds = window_seconds
        self.open_seconds = open_seconds
        self.half_open_max_calls = half_open_max_calls
        self._clock = clock
        self._state = BreakerState.CLOSED
        # Bumped on every state change; permits from an older generation are stale.
        self._generation = 0
        self._consecutive = 0
        self._streak_started = 0.0
        self._opened_at: float | None = None
        self._probes = 0

    @property
    def state(self) -> BreakerState:
        """The current state (an open breaker whose timer ran out reads as half-open)."""
        self._refresh()
        return self._state

    @property
    def consecutive_failures(self) -> int:
        """Failures in the current streak."""
        return self._consecutive

    def retry_in(self) -> float | None:
        """Seconds until an open breaker lets a probe through; None unless open."""
        if self.state is not BreakerState.OPEN or self._opened_at is None:
            return None
        return max(0.0, self._opened_at + self.open_seconds - self._clock.monotonic())

    def allow(self) -> bool:
        """Admit one call (reserving a probe slot when half-open); pair it with record_*()."""
        return self._admit() is not None

    def record_success(self) -> None:
        """Record the outcome of a call admitted with allow()."""
        self._on_success(self._current_permit())

    def record_failure(self) -> None:
        """Record the failure of a call admitted with allow()."""
        self._on_failure(self._current_permit())

    @asynccontextmanager
    async def guard(
        self,
        *,
        excluded: Callable[[BaseException], bool] = _never,
        inconclusive: Callable[[BaseException], bool] = _never,
    ) -> AsyncIterator[None]:
        """Run the block as one call: raise CircuitOpen if not admitted, else record its outcome.

        An exception for which `excluded(exc)` is true (e.g. "no such record") is a valid
        answer: it counts as a success and propagates. One for which `inconclusive(exc)` is
        true says nothing about the department (the caller gave it too little time) and, like
        cancellation, records nothing.
        """
        permit = self._admit()
        if permit is None:
            raise CircuitOpen(self.name, retry_in=self.retry_in())
        try:
            yield
        except Exception as exc:
            if excluded(exc):
                self._on_success(permit)
            elif inconclusive(exc):
                self._release(permit)
            else:
                self._on_failure(permit)
            raise
        except BaseException:
            self._release(permit)
            raise
        else:
            self._on_success(permit)

    def snapshot(self) -> BreakerSnapshot:
        """State, streak, wall-clock opening time and seconds until a probe, for admins."""
        state = self.state
        opened_at = None
        if state is not BreakerState.CLOSED and self._opened_at is not None:
            ago = self._clock.monotonic() - self._opened_at
            opened_at = datetime.fromtimestamp(time.time() - ago, tz=UTC)
        return BreakerSnapshot(
            name=self.name,
            state=state.value,
            consecutive_failures=self._consecutive,
            opened_at=opened_at,
            retry_in=self.retry_in(),
        )

    def _refresh(self) -> None:
        if (
            self._state is BreakerState.OPEN
            and self._opened_at is not None
            and self._clock.monotonic() >= self._opened_at + self.open_seconds
        ):
            self._transition(BreakerState.HALF_OPEN)

    def _transition(self, state: BreakerState) -> None:
        self._state = state
        self._generation += 1
        self._probes = 0
        if state is BreakerState.OPEN:
            self._opened_at = self._clock.monotonic()
        elif state is BreakerState.CLOSED:
            self._opened_at = None
            self._consecutive = 0

    def _admit(self) -> _Permit | None:
        self._refresh()
        if self._state is BreakerState.CLOSED:
            return _Permit(self._generation, probe=False)
        if self._state is BreakerState.HALF_OPEN and self._probes < self.half_open_max_calls:
            self._probes += 1
            return _Permit(self._generation, probe=True)
        return None

    def _current_permit(self) -> _Permit:
        self._refresh()
        return _Permit(self._generation, probe=self._state is BreakerState.HALF_OPEN)

    def _release(self, permit: _Permit) -> None:
        if permit.probe and permit.generation == self._generation and self._probes > 0:
            self._probes -= 1

    def _on_success(self, permit: _Permit) -> None:
        self._refresh()
        if permit.generation != self._generation:
            return
        if self._state is BreakerState.HALF_OPEN:
            self._transition(BreakerState.CLOSED)
        else:
            self._consecutive = 0

    def _on_failure(self, permit: _Permit) -> None:
        self._refresh()
        if permit.generation != self._generation:
            return
        now = self._clock.monotonic()
        if self._state is BreakerState.HALF_OPEN:
            self._consecutive += 1
            self._transition(BreakerState.OPEN)
            return
        if self._state is not BreakerState.CLOSED:
            return
        if self._consecutive == 0 or now - self._streak_started > self.window_seconds:
            self._consecutive = 1
            self._streak_started = now
        else:
            self._consecutive += 1
        if self._consecutive >= self.failure_threshold:
            self._transition(BreakerState.OPEN)
