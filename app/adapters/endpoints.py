"""Admin HTTP API of the data exchange: the state of every department connection."""

from __future__ import annotations

from fastapi import APIRouter, status

from app.adapters.service import get_exchange
from app.adapters.status import ExchangeStatus
from app.auth.errors import AUTH_ERRORS
from app.config import API_V1
from app.dependencies import PlatformAdmin
from app.errors import error_responses

router = APIRouter(
    prefix=f"{API_V1}/admin/exchange",
    tags=["exchange"],
    dependencies=[PlatformAdmin],
    responses=error_responses(*AUTH_ERRORS),
)


@router.get(
    "/status",
    response_model=ExchangeStatus,
    status_code=status.HTTP_200_OK,
    summary="Department connection status",
)
async def get_status() -> ExchangeStatus:
    """Per department: circuit breaker state, p50/p95 latency and error rate over a recent window.

    For platform admins (a platform admin's token with the `admin` scope).
    """
    return get_exchange().status()
