"""What admins see of the exchange: each department's breaker and recent latency."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class BreakerRead(BaseModel):
    """A department's circuit breaker."""

    state: str = Field(examples=["closed", "open", "half_open"])
    consecutive_failures: int
    opened_at: datetime | None
    retry_in_seconds: float | None


class DepartmentStatus(BaseModel):
    """One department: where it lives, its breaker, and its calls over the recent window."""

    department: str = Field(examples=["gjj"])
    base_url: str
    breaker: BreakerRead
    calls: int = Field(description="Calls over the window (rejected calls excluded)")
    p50_ms: float | None
    p95_ms: float | None
    error_rate: float | None = Field(description="Share of calls without an answer, 0..1")
    in_flight: int
    window_seconds: float


class ExchangeStatus(BaseModel):
    """Every known department's status."""

    departments: list[DepartmentStatus]
