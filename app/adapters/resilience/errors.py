"""Why a department could not answer.

These never reach HTTP directly: gather_facts turns them into "unavailable: <reason>" per dataset.
"""

from __future__ import annotations

from typing import ClassVar


class ExchangeUnavailable(Exception):
    """A department call gave no answer; `reason` is a short machine-readable cause."""

    reason: ClassVar[str] = "unavailable"

    def __init__(self, message: str, *, department: str | None = None) -> None:
        super().__init__(message)
        self.department = department
        # Set by call_department: how many requests actually reached the department.
        self.attempts = 0


class CircuitOpen(ExchangeUnavailable):
    """The department's circuit breaker rejects calls for now."""

    reason: ClassVar[str] = "circuit_open"

    def __init__(self, department: str, *, retry_in: float | None = None) -> None:
        super().__init__(f"circuit open for {department}", department=department)
        self.retry_in = retry_in


class BulkheadFull(ExchangeUnavailable):
    """No concurrency slot for the department became free before the deadline."""

    reason: ClassVar[str] = "bulkhead_full"

    def __init__(self, department: str) -> None:
        super().__init__(f"bulkhead full for {department}", department=department)


class DeadlineExceeded(ExchangeUnavailable):
    """The gathering's overall deadline passed."""

    reason: ClassVar[str] = "deadline"


class CallTimeout(ExchangeUnavailable):
    """One call exceeded its own timeout while the deadline still had time (transient)."""

    reason: ClassVar[str] = "timeout"


class CallFailed(ExchangeUnavailable):
    """The department call failed; `cause` is the last error it raised."""

    reason: ClassVar[str] = "error"

    def __init__(self, cause: BaseException, *, department: str | None = None) -> None:
        super().__init__(f"{type(cause).__name__}: {cause}", department=department)
        self.cause = cause
