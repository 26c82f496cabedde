"""The statistics domain's logic: the overview of the city-brain screen, computed when asked
from counts and group-bys (nothing is stored, so the figures are never stale)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.clock import SHANGHAI, utcnow
from app.stats import repository
from app.stats.schemas import (
    Automation,
    DepartmentBacklog,
    OverviewRead,
    PensionQualification,
    ServiceAutomation,
    TimeToDecision,
    Volume,
)

# "Due soon" on the screen: a statutory deadline within this many calendar days.
DUE_SOON_DAYS = 3


async def overview(session: AsyncSession, *, now: datetime | None = None) -> OverviewRead:
    """Volumes (today and this year), online share, the auto-approval rate, median time to
    decision, open cases by department and against their deadlines, and licenses issued;
    "today" is the day in Asia/Shanghai."""
    now = now or utcnow()
    day = now.astimezone(SHANGHAI).date()
    midnight = datetime.combine(day, time(0), SHANGHAI).astimezone(UTC)
    total, today = await repository.application_counts(session, midnight)
    new_year = datetime.combine(day.replace(month=1, day=1), time(0), SHANGHAI).astimezone(UTC)
    _, this_year = await repository.application_counts(session, new_year)
    licenses_total, licenses_today = await repository.license_counts(session, midnight)
    medians = await repository.median_seconds_to_decision(session)
    auto_median, auto_count = medians.get("auto", (None, 0))
    manual_median, manual_count = medians.get("manual", (None, 0))
    return OverviewRead(
        as_of=now,
        day=day,
        applications=Volume(total=total, today=today),
        applications_this_year=this_year,
        online_share=1.0 if total else None,
        automation=await _automation(session),
        median_time_to_decision=TimeToDecision(
            auto_seconds=auto_median,
            auto_decided=auto_count,
            manual_seconds=manual_median,
            manual_decided=manual_count,
        ),
        pending_by_department=await _backlog(session, day),
        pension_qualification=await _pension_qualification(session),
        licenses_issued=Volume(total=licenses_total, today=licenses_today),
    )


async def _automation(session: AsyncSession) -> Automation:
    services = [
        ServiceAutomation(
            service_code=code, decided=decided, approved_by_rules=approved,
            rate=approved / decided,
        )
        for code, decided, approved in await repository.automation_by_service(session)
        if decided
    ]  # fmt: skip
    decided = sum(s.decided for s in services)
    approved = sum(s.approved_by_rules for s in services)
    return Automation(
        decided=decided,
        approved_by_rules=approved,
        rate=approved / decided if decided else None,
        by_service=services,
    )


async def _backlog(session: AsyncSession, day: date) -> list[DepartmentBacklog]:
    counts: dict[str, dict[str, int]] = {}
    for department, status, count in await repository.open_cases(session):
        counts.setdefault(department, dict.fromkeys(repository.OPEN_STATUSES, 0))[status] = count
    deadlines = {
        department: (overdue, due_soon)
        for department, overdue, due_soon in await repository.open_deadlines(
            session, day, day + timedelta(days=DUE_SOON_DAYS)
        )
    }
    return [
        DepartmentBacklog(
            department_code=department, total=sum(by_status.values()), **by_status,
            overdue=deadlines.get(department, (0, 0))[0],
            due_soon=deadlines.get(department, (0, 0))[1],
        )
        for department, by_status in sorted(counts.items())
    ]  # fmt: skip


async def _pension_qualification(session: AsyncSession) -> PensionQualification:
    campaigns, outcomes, states = await repository.campaign_figures(session)
    classified = sum(outcomes.values())
    silent = outcomes.get("silent", 0)
    return PensionQualification(
        campaigns=campaigns, classified=classified, silent=silent,
        silent_share=silent / classified if classified else None,
        invited=outcomes.get("invited", 0), referred=outcomes.get("referred", 0),
        pending=sum(states.get(state, 0) for state in ("invited", "referred", "due")),
        suspended=states.get("suspended", 0),
    )  # fmt: skip
