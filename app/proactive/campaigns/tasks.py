"""Job handlers of campaigns: a batch, a payment instruction, the daily sweep; and the listener
that qualifies a person when they verify their face."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import service as identity
from app.config import Settings, get_settings
from app.jobs.registry import job_handler
from app.proactive.campaigns import batches, service


@job_handler(service.BATCH_JOB)
async def run_batch(session: AsyncSession, payload: dict[str, Any]) -> None:
    """One batch of a campaign (a no-op once done)."""
    await batches.run(
        session, get_settings(), uuid.UUID(str(payload["campaign_id"])), int(payload["batch"])
    )


@job_handler(service.PAYMENT_JOB)
async def send_payment(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Tell the pension system to stop or resume a payment (idempotent per instruction)."""
    await service.send_payment(session, payload)


@job_handler("scheduled.campaigns_sweep")
async def sweep(session: AsyncSession, _: dict[str, Any]) -> None:
    """Daily reminders, and the warning periods that ended."""
    await service.sweep(session)


async def _face_verified(session: AsyncSession, settings: Settings, id_number: str) -> None:
    await service.face_verified(session, settings, id_number)


identity.on_face_verified(_face_verified)
