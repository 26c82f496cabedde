"""Retries for idempotent reads on transient errors, only inside the deadline."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from app.adapters.resilience.deadline import Deadline
from app.adapters.resilience.errors import DeadlineExceeded

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Attempted(Generic[T]):
    """A call's value and how many attempts it took (for measuring retry amplification)."""

    value: T
    attempts: int


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with optional equal jitter, bounded by attempts and the deadline.

    A retry starts only if the deadline leaves more than the backoff delay plus
    `min_attempt_seconds` (an attempt that cannot finish is not worth starting).
    """

    max_attempts: int = 2
    base_delay: float = 0.05
    max_delay: float = 0.5
    jitter: bool = True
    min_attempt_seconds: float = 0.02
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)
    sleep: Callable[[float], Awaitable[None]] = field(
        default=asyncio.sleep, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def delay_before(self, retry: int) -> float:
        """Backoff before the `retry`-th retry (1-based); jitter keeps it in [d/2, d]."""
        delay = min(self.max_delay, self.base_delay * 2.0 ** (retry - 1))
        if self.jitter:
            delay = delay / 2 + self.rng.uniform(0.0, delay / 2)
        return delay

    async def call(
        self,
        fn: Callable[[], Awaitable[T]],
        *,
        deadline: Deadline,
        idempotent: bool,
        is_transient: Callable[[BaseException], bool],
    ) -> Attempted[T]:
        """Call `fn`, retrying transient failures of idempotent calls while the deadline allows.

        The last error propagates unchanged; DeadlineExceeded if the deadline passed before the
        first attempt.
        """
        attempts = 0
        while True:
            if deadline.expired:
                raise DeadlineExceeded("deadline passed before the attempt")
            attempts += 1
            try:
                return Attempted(await fn(), attempts)
            except Exception as exc:
                if not idempotent or attempts >= self.max_attempts or not is_transient(exc):
                    raise
                delay = self.delay_before(attempts)
                if deadline.time_left() <= delay + self.min_attempt_seconds:
                    raise
            await self.sleep(delay)
