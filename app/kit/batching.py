"""Calls made together: a batch runs while the next one gathers (group commit, batched reads).

A process's requests that each need one small statement can share a round trip. Callers that
arrive while a batch is in flight wait, and go together in the next batch, run as soon as that
one is done; so a busy process makes a round trip per batch instead of one per request, and
nothing ever waits for a batch to fill. A caller that finds nothing in flight starts a batch at
once: in a task of its own, which takes in whoever else called before it starts (a burst
started together lands together: group commit); or, with `lone_call_at_once` (for reads), it
runs its own call in its own task, as a batch of one, so that an idle process answers as it
would without any of this, with no task or turn of the event loop in between.

Each caller is answered with its own item's result once its batch has run; when the batch
fails, every caller of that batch gets the exception. A caller cancelled while it waits for a
later batch leaves its item in it (its result is dropped); one cancelled while its own call
runs cancels that call, and the batch gathered meanwhile runs all the same.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class Batcher(Generic[Item, Result]):
    """Run `run` over the items handed in meanwhile, one batch at a time; `run` answers with
    one result per item, in their order."""

    def __init__(
        self,
        run: Callable[[list[Item]], Awaitable[Sequence[Result]]],
        *,
        lone_call_at_once: bool = False,
    ) -> None:
        self._run = run
        self._lone_call_at_once = lone_call_at_once
        self._loop: asyncio.AbstractEventLoop | None = None
        self._busy = False  # a batch is in flight
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._runner: asyncio.Task[None] | None = None  # held: the loop keeps tasks weakly

    async def submit(self, item: Item) -> Result:
        """`item`'s result, once its batch has run (or what the batch raised)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # Left behind by an event loop that has ended (a test's); its callers went with it.
            self._loop, self._busy, self._waiting, self._runner = loop, False, [], None
        if self._busy or not self._lone_call_at_once:
            done: asyncio.Future[Result] = loop.create_future()
            self._waiting.append((item, done))
            if not self._busy:
                self._busy = True
                self._runner = asyncio.create_task(self._run_waiting())
            return await done
        self._busy = True
        try:
            return (await self._run([item]))[0]
        finally:
            self._run_next()

    def _run_next(self) -> None:
        """Start the batch that gathered meanwhile, if any; else nothing is in flight."""
        if self._waiting:
            self._runner = asyncio.create_task(self._run_waiting())
        else:
            self._busy, self._runner = False, None

    async def _run_waiting(self) -> None:
        batch, self._waiting = self._waiting, []
        try:
            results = await self._run([item for item, _ in batch])
        except Exception as exc:
            for _, done in batch:
                if not done.done():
                    done.set_exception(exc)
        else:
            for (_, done), result in zip(batch, results, strict=True):
                if not done.done():
                    done.set_result(result)
        finally:
            self._run_next()
