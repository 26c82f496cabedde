"""HTTP endpoints of the statistics: the city-brain screen's overview."""

from __future__ import annotations

from fastapi import APIRouter

from app.auth.dependencies import AUTH_ERRORS
from app.config import API_V1
from app.dependencies import SessionDep
from app.errors import error_responses
from app.stats import service as stats
from app.stats.dependencies import StatsReader
from app.stats.schemas import OverviewRead

router = APIRouter(
    prefix=f"{API_V1}/stats", tags=["stats"], responses=error_responses(*AUTH_ERRORS)
)


@router.get(
    "/overview",
    response_model=OverviewRead,
    status_code=200,
    summary="The city-brain screen's figures",
)
async def overview(reader: StatsReader, session: SessionDep) -> OverviewRead:
    """Applications (total and today, Asia/Shanghai), online share, the auto-approval (秒批)
    rate overall and per service, median time to decision (by the rules and by clerks), open
    cases by department and e-licenses issued. For platform admins and auditors, and for
    clients granted `stats.read`; 403 for anyone else."""
    return await stats.overview(session)
