"""Every query of the statistics: read-only counts and group-bys over the applications and the
e-license registry.

"Today" counts use the time-ordered primary keys (UUIDv7, made when the row is) to narrow the
scan to the day's rows through the primary-key index; the timestamp then decides exactly.
"""

from __future__ import annotations

import statistics
import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Float, case, cast, extract, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.certificates.models import License
from app.proactive.campaigns.models import Campaign, CampaignCase
from app.services.applications.models import Application

OPEN_STATUSES = ("pending_review", "in_review", "resubmitted", "supplement_requested")
# Ids of rows made before the day started, by a clock a little behind, still count: the
# timestamp condition is the exact one.
_ID_SLACK = timedelta(minutes=1)


def _first_id_at(moment: datetime) -> uuid.UUID:
    """The smallest UUIDv7 of this millisecond (RFC 9562: version 7, variant 0b10)."""
    ms = int(moment.timestamp() * 1000)
    return uuid.UUID(int=(ms << 80) | (0x7 << 76) | (0b10 << 62))


def _approved_by_rules() -> ColumnElement[bool]:
    # The outcomes' own columns: the decision itself is sealed.
    return Application.rules_outcome == "approve"


def _decided_by_clerk() -> ColumnElement[bool]:
    return Application.review_outcome.is_not(None)


async def application_counts(session: AsyncSession, since: datetime) -> tuple[int, int]:
    """Applications in all, and those submitted since `since`."""
    total = await session.scalar(select(func.count()).select_from(Application))
    today = await session.scalar(
        select(func.count())
        .select_from(Application)
        .where(Application.id >= _first_id_at(since - _ID_SLACK), Application.submitted_at >= since)
    )
    return int(total or 0), int(today or 0)


async def license_counts(session: AsyncSession, since: datetime) -> tuple[int, int]:
    """License records in all, and those created since `since`."""
    total = await session.scalar(select(func.count()).select_from(License))
    today = await session.scalar(
        select(func.count())
        .select_from(License)
        .where(License.id >= _first_id_at(since - _ID_SLACK), License.created_at >= since)
    )
    return int(total or 0), int(today or 0)


async def automation_by_service(session: AsyncSession) -> Sequence[tuple[str, int, int]]:
    """Per `auto` service: applications past their first decision, and those the rules approved."""
    approved = func.sum(case((_approved_by_rules(), 1), else_=0))
    rows = await session.execute(
        select(Application.service_code, func.count(), approved)
        .where(Application.mode == "auto", Application.status != "submitted")
        .group_by(Application.service_code)
        .order_by(Application.service_code)
    )
    return [(code, int(decided), int(by_rules or 0)) for code, decided, by_rules in rows]


async def open_cases(session: AsyncSession) -> Sequence[tuple[str, str, int]]:
    """(department, status, count) of the cases waiting for a clerk or for the applicant."""
    rows = await session.execute(
        select(Application.department_code, Application.status, func.count())
        .where(Application.status.in_(OPEN_STATUSES))
        .group_by(Application.department_code, Application.status)
        .order_by(Application.department_code)
    )
    return [(department, status, int(count)) for department, status, count in rows]


async def open_deadlines(
    session: AsyncSession, today: date, soon: date
) -> Sequence[tuple[str, int, int]]:
    """(department, open cases past their statutory deadline, open cases due by `soon`)."""
    overdue = func.sum(case((Application.deadline < today, 1), else_=0))
    due_soon = func.sum(
        case(((Application.deadline >= today) & (Application.deadline <= soon), 1), else_=0)
    )
    rows = await session.execute(
        select(Application.department_code, overdue, due_soon)
        .where(Application.status.in_(OPEN_STATUSES))
        .group_by(Application.department_code)
    )
    return [(department, int(late or 0), int(near or 0)) for department, late, near in rows]


async def median_seconds_to_decision(session: AsyncSession) -> dict[str, tuple[float, int]]:
    """{"auto" | "manual": (median seconds, cases)} over decided cases, by who decided them."""
    decided_by = case((_decided_by_clerk(), "manual"), else_="auto")
    if session.get_bind().dialect.name == "postgresql":
        seconds = cast(extract("epoch", Application.decided_at - Application.submitted_at), Float)
        rows: Sequence[Any] = (
            await session.execute(
                select(decided_by, func.percentile_cont(0.5).within_group(seconds), func.count())
                .where(Application.decided_at.is_not(None))
                .group_by(decided_by)
            )
        ).all()
        return {str(by): (float(median), int(count)) for by, median, count in rows}
    # SQLite has no percentile: the embedded database's decided cases are read and sorted here.
    durations: dict[str, list[float]] = {}
    timed: Sequence[Any] = (
        await session.execute(
            select(decided_by, Application.submitted_at, Application.decided_at).where(
                Application.decided_at.is_not(None)
            )
        )
    ).all()
    for by, submitted_at, decided_at in timed:
        durations.setdefault(str(by), []).append((decided_at - submitted_at).total_seconds())
    return {by: (statistics.median(values), len(values)) for by, values in durations.items()}


async def campaign_figures(session: AsyncSession) -> tuple[int, dict[str, int], dict[str, int]]:
    """Pension-qualification campaigns: how many, their cases by outcome and by state."""
    campaigns = await session.scalar(
        select(func.count()).select_from(Campaign).where(Campaign.kind == "pension-qualification")
    )
    kind = CampaignCase.campaign_id.in_(
        select(Campaign.id).where(Campaign.kind == "pension-qualification")
    )
    by_outcome = (
        select(CampaignCase.outcome, func.count()).where(kind).group_by(CampaignCase.outcome)
    )
    by_state = select(CampaignCase.state, func.count()).where(kind).group_by(CampaignCase.state)
    outcomes = {str(k): int(v) for k, v in (await session.execute(by_outcome)).all()}
    states = {str(k): int(v) for k, v in (await session.execute(by_state)).all()}
    return int(campaigns or 0), outcomes, states
