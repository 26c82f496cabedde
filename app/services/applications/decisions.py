"""The first decision on a submitted case: the rules for a 秒批 service, a clerk otherwise.

The machine may say yes; only a person says no (DESIGN §2). A case the rules do not approve —
a failed criterion, data a department did not give in time — goes to the clerks of the
service's department with every reason, as `pending_review`; nothing here rejects.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.schemas import AuditContext
from app.auth.schemas import VerifiedPerson
from app.config import Settings
from app.services.applications import transitions
from app.services.applications.models import Application
from app.services.applications.status import Status
from app.services.catalog.schemas import ServiceDetail

TO_CLERK_NOTE = "已提交，等待工作人员审核"


async def first_decision(
    session: AsyncSession,
    settings: Settings,
    application: Application,
    service: ServiceDetail,
    person: VerifiedPerson,
    *,
    audit_context: AuditContext,
) -> None:
    """Decide a just-submitted case, or hand it to the clerks."""
    await transitions.move(
        session, application, Status.PENDING_REVIEW, actor_type="system", actor_id="intake",
        note=TO_CLERK_NOTE,
    )  # fmt: skip


async def run_outcome(
    session: AsyncSession,
    settings: Settings,
    application: Application,
    *,
    audit_context: AuditContext,
) -> None:
    """What an approval does beyond the status (issue the license, record a disbursement);
    filled in with the 秒批 outcomes."""
