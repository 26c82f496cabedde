"""Who sees a case's personal data whole (DESIGN §2, principle 6).

Its applicant, always: it is their own. The clerks of its department on the case's own page
(`GET /api/v1/review/cases/{id}`), which is where a case is reviewed, and every such view goes
to the audit trail (who, which case, never the values). Whatever else a clerk is shown of a
case has the form, the values the rules found, the clerk's reason and the timeline's notes
masked: the answer to a claim or a decision (the clerk read the case on its page), and the
queue, which shows none of them at all.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.audit.schemas import AuditContext
from app.auth.principals import Staff
from app.kit.masking import mask_document
from app.services.applications.models import Application
from app.services.applications.schemas import ApplicationRead

VIEWED = "application.personal_data_viewed"
Read = TypeVar("Read", bound=ApplicationRead)


def masked(read: Read) -> Read:
    """The case with every ID, phone and account number in its values masked."""
    decision = read.decision
    if decision is not None:
        decision = decision.model_copy(
            update={
                "criteria": [
                    criterion.model_copy(update={"found": mask_document(criterion.found)})
                    for criterion in decision.criteria
                ],
                "reason": mask_document(decision.reason),
            }
        )
    return read.model_copy(
        update={
            "form": mask_document(read.form),
            "decision": decision,
            "timeline": [
                entry.model_copy(update={"note": mask_document(entry.note)})
                for entry in read.timeline
            ],
        }
    )


async def record_viewed(
    session: AsyncSession, clerk: Staff, application: Application, audit_context: AuditContext
) -> None:
    """The audit record of a clerk reading a case whole (its number, none of its values)."""
    await audit.record(
        session,
        audit_context.entry(
            actor_type="staff", actor_id=str(clerk.staff_id), action=VIEWED,
            subject_type="application", subject_id=str(application.id),
            purpose=f"review:{application.department_code}", after={"number": application.number},
        ),
    )  # fmt: skip
