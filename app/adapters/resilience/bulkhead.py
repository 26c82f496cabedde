"""A bulkhead per department: bounded concurrency; waiting for a slot never outlives a deadline."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from app.adapters.resilience.deadline import Deadline
from app.adapters.resilience.errors import BulkheadFull


class Bulkhead:
    """At most `max_concurrent` calls to one department at a time; others wait, but not forever.

    Create it inside the event loop that uses it (asyncio primitives bind to their first loop).
    """

    def __init__(self, name: str, max_concurrent: int) -> None:
        if max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")
        self.name = name
        self.max_concurrent = max_concurrent
        self._semaphore = asyncio.Semaphore(max_concurrent)
        self._in_use = 0
        self._waiting = 0

    @property
    def in_use(self) -> int:
        """Slots currently held."""
        return self._in_use

    @property
    def waiting(self) -> int:
        """Callers currently waiting for a slot."""
        return self._waiting

    @asynccontextmanager
    async def slot(self, deadline: Deadline | None = None) -> AsyncIterator[None]:
        """Hold a slot for the block; wait at most until `deadline` (no deadline: don't wait).

        Raises BulkheadFull when no slot frees up in time.
        """
        if self._semaphore.locked():
            wait = 0.0 if deadline is None else deadline.time_left()
            if wait <= 0.0:
                raise BulkheadFull(self.name)
            self._waiting += 1
            try:
                async with asyncio.timeout(wait):
                    await self._semaphore.acquire()
            except TimeoutError as exc:
                raise BulkheadFull(self.name) from exc
            finally:
                self._waiting -= 1
        else:
            await self._semaphore.acquire()
        self._in_use += 1
        try:
            yield
        finally:
            self._in_use -= 1
            self._semaphore.release()
