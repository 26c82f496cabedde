"""Job handlers of applications: the housing-fund disbursement instruction.

The instruction to pay a withdrawal to the applicant's bank account is queued in the approving
transaction and sent once it commits; the disbursement system of the fund centre is not part of
this platform yet, so the handler records the instruction in the audit trail, which is what
the centre's reconciliation reads.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.audit.schemas import AuditContext
from app.jobs.registry import job_handler
from app.services.applications.outcomes import HPF_DISBURSEMENT_JOB


@job_handler(HPF_DISBURSEMENT_JOB)
async def instruct_disbursement(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Record the disbursement instruction of an approved withdrawal."""
    await audit.record(
        session,
        AuditContext().entry(
            actor_type="system", actor_id="hpf-disbursement", action="hpf.disbursement.instructed",
            subject_type="application", subject_id=str(payload["application_id"]),
            after={"number": payload["number"], "service": payload["service"]},
        ),
    )  # fmt: skip
