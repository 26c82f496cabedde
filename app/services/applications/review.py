"""The clerks' side of a case: their department's queue, claims, and decisions.

A clerk claims a waiting case before deciding it, so that two clerks never decide one case; a
claim lapses after QE_REVIEW_CLAIM_MINUTES and the case may then be claimed again (by anyone in
the department, the first clerk included). Every action is audited, and the reason of a
rejection or the items of a supplement request are shown to the applicant.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.audit.schemas import AuditContext
from app.auth.principals import Staff
from app.config import Settings
from app.kit.clock import utcnow
from app.services.applications import repository, transitions
from app.services.applications.errors import ApplicationNotFound, StatusConflict
from app.services.applications.models import Application
from app.services.applications.status import AWAITING_CLERK, Status


async def department_case(
    session: AsyncSession, clerk: Staff, application_id: str, *, for_update: bool = False
) -> Application:
    """A case of the clerk's department; ApplicationNotFound (404) for any other."""
    try:
        parsed = uuid.UUID(application_id)
    except ValueError:
        parsed = None
    application = (
        await repository.department_application(
            session, parsed, clerk.department_code, for_update=for_update
        )
        if parsed is not None
        else None
    )
    if application is None:
        raise ApplicationNotFound("未找到该办件", "no such application")
    return application


async def queue(
    session: AsyncSession,
    clerk: Staff,
    *,
    statuses: Sequence[str],
    service_code: str | None,
    after: tuple[date, uuid.UUID] | None,
    limit: int,
) -> Sequence[Application]:
    """The department's cases in these statuses, earliest deadline first."""
    return await repository.department_queue(
        session, clerk.department_code, statuses=statuses, service_code=service_code,
        after=after, limit=limit,
    )  # fmt: skip


def _claim_active(application: Application) -> bool:
    expires = application.claim_expires_at
    return application.claimed_by is not None and expires is not None and expires > utcnow()


async def claim(
    session: AsyncSession,
    settings: Settings,
    clerk: Staff,
    application_id: str,
    *,
    audit_context: AuditContext,
) -> Application:
    """Take a waiting case (or one whose claim lapsed) for review."""
    application = await department_case(session, clerk, application_id, for_update=True)
    if application.status == Status.IN_REVIEW:
        if _claim_active(application) and application.claimed_by != str(clerk.staff_id):
            raise StatusConflict(
                "该办件已由其他工作人员受理", "another clerk has claimed this case"
            )
        # A lapsed claim, or the clerk's own: the case returns to the queue first.
        await transitions.move(session, application, Status.PENDING_REVIEW,
                               actor_type="system", actor_id="claims")  # fmt: skip
    elif application.status not in AWAITING_CLERK:
        raise StatusConflict(
            f"办件当前状态为 {application.status}，无需受理",
            f"a case that is {application.status} cannot be claimed",
            extra={"status": application.status},
        )
    await transitions.move(session, application, Status.IN_REVIEW,
                           actor_type="clerk", actor_id=str(clerk.staff_id))  # fmt: skip
    application.claimed_by = str(clerk.staff_id)
    application.claim_expires_at = utcnow() + timedelta(minutes=settings.review_claim_minutes)
    await _audit(session, clerk, application, "application.claimed", audit_context)
    return application


def _require_claim(application: Application, clerk: Staff) -> None:
    if application.status != Status.IN_REVIEW or application.claimed_by != str(clerk.staff_id):
        raise StatusConflict("请先受理该办件", "claim the case first")
    if not _claim_active(application):
        raise StatusConflict("受理已超时，请重新受理", "the claim lapsed: claim the case again")


async def decide(
    session: AsyncSession,
    clerk: Staff,
    application_id: str,
    target: Status,
    *,
    note: str | None,
    audit_context: AuditContext,
) -> Application:
    """Approve, reject (reason required) or ask for a supplement (items required)."""
    application = await department_case(session, clerk, application_id, for_update=True)
    _require_claim(application, clerk)
    await transitions.move(session, application, target, actor_type="clerk",
                           actor_id=str(clerk.staff_id), note=note)  # fmt: skip
    application.claimed_by = None
    application.claim_expires_at = None
    if target in (Status.APPROVED, Status.REJECTED):
        now = utcnow()
        application.decided_at = now
        explanation = dict(application.decision or {})
        explanation["review"] = {
            "outcome": target.value,
            "decided_by": "clerk",
            "decided_at": now.isoformat(),
            "reason": note,
        }
        application.decision = explanation
    await _audit(session, clerk, application, f"application.{target.value}", audit_context)
    return application


async def _audit(
    session: AsyncSession,
    clerk: Staff,
    application: Application,
    action: str,
    audit_context: AuditContext,
) -> None:
    await audit.record(
        session,
        audit_context.entry(
            actor_type="staff", actor_id=str(clerk.staff_id), action=action,
            subject_type="application", subject_id=str(application.id),
            after={"status": application.status, "number": application.number},
        ),
    )  # fmt: skip
