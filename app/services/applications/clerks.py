"""The clerks' side of the applications service: their department's queue, a case with its
explanation and facts in view, claims, and decisions (review.py does the checks and moves).
A case's personal data is whole on its own page only (disclosure.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.schemas import AuditContext
from app.auth.principals import Staff
from app.config import Settings
from app.errors import InvalidCursor
from app.kit import pagination
from app.kit.pagination import Page
from app.services.applications import answers, approvals, disclosure, explanations, review
from app.services.applications.models import Application
from app.services.applications.schemas import ReviewCaseRead, ReviewCaseSummary
from app.services.applications.status import Status
from app.services.catalog import service as catalog


async def review_queue(
    session: AsyncSession,
    clerk: Staff,
    *,
    statuses: Sequence[str],
    service_code: str | None,
    cursor: str | None,
    limit: int,
) -> Page[ReviewCaseSummary]:
    """The clerk's department's cases, earliest deadline first."""
    after = _decode_queue(cursor)
    rows = await review.queue(session, clerk, statuses=statuses, service_code=service_code,
                              after=after, limit=limit + 1)  # fmt: skip
    page = rows[:limit]
    items = []
    for row in page:
        service = await catalog.cached_service(session, row.service_code)
        referred = explanations.read(row.decision)
        items.append(
            ReviewCaseSummary(
                id=row.id,
                number=row.number,
                service=answers.service_ref(service),
                status=row.status,
                deadline=row.deadline,
                submitted_at=row.submitted_at,
                claimed_by=row.claimed_by,
                claim_expires_at=row.claim_expires_at,
                referred_for=[c.id for c in referred.criteria if c.result != "passed"]
                if referred
                else [],
            )
        )
    next_cursor = (
        pagination.encode_cursor([page[-1].deadline.isoformat(), str(page[-1].id)])
        if len(rows) > limit
        else None
    )
    return Page[ReviewCaseSummary](items=items, next_cursor=next_cursor)


def _decode_queue(cursor: str | None) -> tuple[date, uuid.UUID] | None:
    if cursor is None:
        return None
    try:
        day, last = pagination.decode_cursor(cursor, arity=2)
        return date.fromisoformat(str(day)), uuid.UUID(str(last))
    except (pagination.InvalidCursor, ValueError) as exc:
        raise InvalidCursor("分页游标无效", "the cursor is malformed") from exc


async def review_case(
    session: AsyncSession, clerk: Staff, application_id: str, *, audit_context: AuditContext
) -> ReviewCaseRead:
    """A case of the clerk's department, whole, and audited as read; 404 for another
    department's."""
    application = await review.department_case(session, clerk, application_id)
    read = await _review_read(session, application)
    await disclosure.record_viewed(session, clerk, application, audit_context)  # last: see submit
    return read


async def _review_read(session: AsyncSession, application: Application) -> ReviewCaseRead:
    service = await catalog.cached_service(session, application.service_code)
    read = await answers.read(session, application, service)
    return ReviewCaseRead(
        **read.model_dump(),
        claimed_by=application.claimed_by,
        claim_expires_at=application.claim_expires_at,
    )


async def claim_case(
    session: AsyncSession,
    settings: Settings,
    clerk: Staff,
    application_id: str,
    *,
    audit_context: AuditContext,
) -> ReviewCaseRead:
    """Take a case for review (one clerk at a time; claims lapse)."""
    application = await review.claim(
        session, settings, clerk, application_id, audit_context=audit_context
    )
    return disclosure.masked(await _review_read(session, application))


async def decide_case(
    session: AsyncSession,
    settings: Settings,
    clerk: Staff,
    application_id: str,
    target: Status,
    *,
    note: str | None,
    amount: int | None = None,
    audit_context: AuditContext,
) -> ReviewCaseRead:
    """Approve (the outcome runs), reject, or ask for a supplement, as the claiming clerk."""
    application = await review.decide(
        session, clerk, application_id, target, note=note, audit_context=audit_context
    )
    if target == Status.APPROVED:
        await approvals.approve(
            session, settings, application, amount=amount, audit_context=audit_context
        )
    return disclosure.masked(await _review_read(session, application))
