"""A deterministic stream of random choices keyed by a stable hash of its name."""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TypeVar

T = TypeVar("T")
_REFILL_BELOW = 1 << 64


class Draw:
    """Random choices for one entity and topic, identical in every process for the same key."""

    __slots__ = ("_key", "_refills", "_value")

    def __init__(self, *parts: object) -> None:
        self._key = ":".join(str(part) for part in parts)
        self._refills = 0
        self._value = self._digest()

    def _digest(self) -> int:
        text = f"{self._key}#{self._refills}" if self._refills else self._key
        return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=64).digest(), "big")

    def below(self, bound: int) -> int:
        """Return an integer in [0, bound)."""
        if self._value < _REFILL_BELOW:
            self._refills += 1
            self._value = self._digest()
        self._value, result = divmod(self._value, bound)
        return result

    def chance(self, probability: float) -> bool:
        """Return True with the given probability."""
        return self.below(10_000) < probability * 10_000

    def pick(self, options: Sequence[T]) -> T:
        """Return one of the options, uniformly."""
        return options[self.below(len(options))]

    def weighted(self, options: Sequence[T], cumulative: Sequence[int]) -> T:
        """Return an option with weights given as cumulative sums."""
        return options[bisect_right(cumulative, self.below(cumulative[-1]))]

    def days_before(self, day: date, span_days: int) -> date:
        """Return a date within span_days before the given day (1..span_days back)."""
        return day - timedelta(days=1 + self.below(span_days))
