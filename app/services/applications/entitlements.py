"""Entitlements granted once (DESIGN §2, principle 9): money moves at most once per period.

A money-moving ruleset names its entitlement (`outcome.entitlement`). Before the departments are
asked, the applicant's grants of it are read (`history`); they become the platform's own facts
(`entitlement.months_since_last_grant`, `entitlement.granted_before`), so the interval rules see
this platform's approvals and not only the department's record, which lags behind them. An
approval then inserts the next grant (`grant`): the sequence number is unique per entitlement
and holder, so of two approvals that read the same history the database keeps one, and the
other goes to a clerk. One open case per applicant and service (Application.open_key) already
turns most races into a 409; the grant is the guard of last resort, for clerks' approvals too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.clock import utcnow
from app.kit.ids import new_id
from app.services.applications import repository
from app.services.applications.models import Application


@dataclass(frozen=True, slots=True)
class GrantHistory:
    """The platform's grants of one entitlement to one holder, as read before deciding."""

    entitlement: str
    holder: str
    count: int
    last_granted_on: date | None = None
    last_granted_at: datetime | None = None
    last_application_id: str | None = None


def holder_of(application: Application, id_number_index: str) -> str:
    """Who holds an entitlement: the enterprise applied for, else the person (by blind index,
    so that a second account of the same person is the same holder)."""
    return f"uscc:{application.applicant_uscc}" if application.applicant_uscc else id_number_index


async def history(session: AsyncSession, entitlement: str, holder: str) -> GrantHistory:
    """The holder's grants of `entitlement` so far."""
    count, last = await repository.grants(session, entitlement, holder)
    if last is None:
        return GrantHistory(entitlement, holder, 0)
    return GrantHistory(
        entitlement, holder, count, last.granted_on, last.granted_at, str(last.application_id)
    )


async def grant(
    session: AsyncSession,
    application: Application,
    seen: GrantHistory,
    *,
    amount: int | None,
    on: date,
) -> bool:
    """Record the grant after `seen`; False when another approval took its place first."""
    return await repository.insert_grant(
        session,
        {
            "id": new_id(),
            "entitlement": seen.entitlement,
            "holder": seen.holder,
            "sequence": seen.count + 1,
            "application_id": application.id,
            "amount": amount,
            "granted_on": on,
            "granted_at": utcnow(),
        },
    )
