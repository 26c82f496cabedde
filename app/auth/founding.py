"""Enterprises founded on the platform: who may act for them before market regulation's register,
which the exchange reads, holds them.

An approved 企业设立登记 issues the e-business license here, at once; the founder, its legal
representative, must be able to open the new enterprise's wallet right away. The founding is
recorded with the case that approved it. Market regulation's register stays the authority: an
enterprise it holds is decided by its answer alone (app.auth.realname.check_acting).
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.audit.schemas import AuditContext
from app.auth import repository
from app.auth.errors import ActingNotAllowed
from app.auth.models import FoundedEnterprise
from app.auth.realname import Enterprise, Verified
from app.kit.clock import utcnow

LEGAL_REPRESENTATIVE = "legal_representative"


async def record(
    session: AsyncSession,
    *,
    uscc: str,
    name: str,
    founder_account_id: uuid.UUID,
    source: str,
    audit_context: AuditContext,
) -> None:
    """Record that the person founded the enterprise (in the approving transaction)."""
    await repository.add(
        session,
        FoundedEnterprise(
            uscc=uscc, name=name, founder_account_id=founder_account_id, source=source,
            founded_at=utcnow(),
        ),
    )  # fmt: skip
    await audit.record(
        session,
        audit_context.entry(
            actor_type="system", actor_id="approvals", action="auth.enterprise_founded",
            subject_type="enterprise", subject_id=uscc,
            after={"founder": str(founder_account_id), "source": source},
        ),
    )  # fmt: skip


async def founded_by(
    session: AsyncSession, *, uscc: str, account_id: uuid.UUID, refusal: ActingNotAllowed
) -> Enterprise:
    """The enterprise, when the person founded it here; else the refusal market regulation's
    register gave."""
    founded = await repository.founded_enterprise(session, uscc, account_id)
    if founded is None:
        raise refusal
    return Enterprise(
        uscc=founded.uscc, name=founded.name, role=LEGAL_REPRESENTATIVE,
        verified=Verified(source=founded.source, as_of=founded.founded_at),
    )  # fmt: skip
