"""Job handlers of the offers domain: the daily scan (schedule `offers.renewal-scan`) and the
courier order of a paper copy."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import get_settings
from app.jobs.registry import job_handler
from app.proactive.offers import courier, service

SCAN_JOB = "scheduled.renewal_offers_scan"


@job_handler(SCAN_JOB)
async def scan_renewals(session: AsyncSession, _: dict[str, Any]) -> None:
    """Offer the renewals due today (idempotent: one row per license and last day)."""
    await service.scan(session, get_settings())


@job_handler(courier.ORDER_JOB)
async def order_paper_copy(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Order a paper copy from the courier (idempotent per shipment)."""
    await courier.place(session, get_settings(), uuid.UUID(payload["shipment_id"]))
