"""The handlers of the scheduled jobs (app/jobs/data/schedules.yaml): each calls the domain's
own service, as the command that does the same by hand does."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import service as identity
from app.certificates import service as certificates
from app.codes import service as codes
from app.idempotency import service as idempotency
from app.jobs.registry import job_handler
from app.services.applications import service as applications
from app.uploads import service as uploads


@job_handler("scheduled.licenses_announce_expiring")
async def announce_expiring_licenses(session: AsyncSession, _: dict[str, Any]) -> None:
    """`qingeban licenses announce-expiring`, daily."""
    await certificates.announce_expiring(session)


@job_handler("scheduled.identity_purge")
async def purge_identity(session: AsyncSession, _: dict[str, Any]) -> None:
    """`qingeban identity purge`, hourly."""
    await identity.purge_expired(session)
    await idempotency.purge_expired(session)
    await uploads.purge_expired(session)


@job_handler("scheduled.codes_purge")
async def purge_codes(session: AsyncSession, _: dict[str, Any]) -> None:
    """`qingeban codes purge`, hourly."""
    await codes.purge_expired(session)


@job_handler("scheduled.services_popularity")
async def count_popularity(session: AsyncSession, _: dict[str, Any]) -> None:
    """`qingeban services popularity`, daily."""
    await applications.refresh_search_popularity(session)
