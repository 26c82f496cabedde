"""The job handler registry: which coroutine runs a job of a given kind.

A domain declares its handlers in its `tasks.py`:

    @job_handler("certificates.issue")
    async def issue(session: AsyncSession, payload: dict[str, Any]) -> None: ...

Contract for handlers:

- The worker calls the handler inside ONE write transaction and marks the job done in that same
  transaction, so the handler's writes and the job's completion commit together or not at all.
  A handler therefore only `flush()`es; it never commits or rolls back the session.
- Handlers MUST be idempotent. Delivery is at least once: a job whose worker died, or whose
  commit was lost on the network, runs again. Key external side effects (an SMS, a partner
  webhook) by something stable in the payload so the receiver can drop a repeat.
- Raising marks the attempt failed: the transaction is rolled back and the job is retried with
  exponential backoff until it goes dead after its last attempt. The exception's type and message
  are stored on the job, so keep personal data out of exception messages.
- The payload is the JSON given to `enqueue`; keep it small (ids, not documents).

The registry is process-wide and filled by importing the `tasks` modules; a job whose kind has no
handler in the worker's process goes dead with a clear error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

JobHandler = Callable[[AsyncSession, dict[str, Any]], Awaitable[None]]

_handlers: dict[str, JobHandler] = {}


def job_handler(kind: str) -> Callable[[JobHandler], JobHandler]:
    """Register the decorated coroutine as the handler of jobs of `kind`."""

    def register(handler: JobHandler) -> JobHandler:
        existing = _handlers.get(kind)
        if existing is not None and existing is not handler:
            raise ValueError(f"job kind {kind!r} already has a handler: {existing!r}")
        _handlers[kind] = handler
        return handler

    return register


def get_handler(kind: str) -> JobHandler | None:
    """The handler registered for `kind`, or None."""
    return _handlers.get(kind)


def unregister(kind: str) -> None:
    """Forget the handler of `kind` (tests register temporary kinds)."""
    _handlers.pop(kind, None)


def registered_kinds() -> frozenset[str]:
    """Every kind this process can run."""
    return frozenset(_handlers)
