"""Admin HTTP API of the job queue: list jobs (the dead ones, mostly) and retry them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from app.auth.errors import AUTH_ERRORS
from app.config import API_V1
from app.dependencies import PlatformAdmin, SessionDep
from app.errors import InvalidCursor, error_responses
from app.jobs import service
from app.jobs.errors import JobNotDead, JobNotFound
from app.jobs.models import JobState
from app.jobs.schemas import JobRead
from app.kit.pagination import Page

router = APIRouter(
    prefix=f"{API_V1}/admin/jobs",
    tags=["jobs"],
    dependencies=[PlatformAdmin],
    responses=error_responses(*AUTH_ERRORS),
)


@router.get(
    "",
    response_model=Page[JobRead],
    status_code=status.HTTP_200_OK,
    summary="List background jobs",
    responses=error_responses(InvalidCursor),
)
async def list_jobs(
    session: SessionDep,
    state: Annotated[JobState | None, Query(description="Only jobs in this state")] = None,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size")] = 20,
) -> Page[JobRead]:
    """Jobs newest first, without their payloads (they may hold personal data).

    `state=dead` lists the jobs that exhausted their attempts, with the last error of each.
    (Platform admins.)
    """
    return await service.list_jobs(session, state, cursor, limit)


@router.post(
    "/{job_id}/retry",
    response_model=JobRead,
    status_code=status.HTTP_200_OK,
    summary="Retry a dead job",
    responses=error_responses(JobNotFound, JobNotDead),
)
async def retry_job(job_id: uuid.UUID, session: SessionDep) -> JobRead:
    """Put a dead job back in the queue, due now, with a fresh set of attempts.

    Only dead jobs can be retried (409 otherwise).
    (Platform admins.)
    """
    job = await service.retry(session, job_id)
    return JobRead.model_validate(job)
