"""Job handlers of applications: the housing-fund disbursement instruction.

The instruction to pay a withdrawal to the applicant's bank account is queued in the approving
transaction and sent once it commits: to the fund centre's system (gjj), which is idempotent per
case, so a retried job never pays twice. A fault or refusal raises, and the job is retried with
backoff (app.jobs). The centre's receipt is recorded in the audit trail, against the case.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters import instructions
from app.audit import service as audit
from app.audit.schemas import AuditContext
from app.jobs.registry import job_handler
from app.services.applications.models import Application
from app.services.applications.outcomes import HPF_DISBURSEMENT_JOB

FUND_CENTRE = "gjj"
DISBURSEMENTS_PATH = "/gjj/disbursements"
ACTOR = "hpf-disbursement"


@job_handler(HPF_DISBURSEMENT_JOB)
async def instruct_disbursement(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Send the disbursement instruction of an approved withdrawal and record the receipt."""
    application = await session.get(Application, uuid.UUID(str(payload["application_id"])))
    if application is None:  # never: cases are not deleted; nothing to pay for
        raise LookupError(f"application {payload['application_id']} is gone")
    form = application.form
    receipt = await instructions.send(
        FUND_CENTRE,
        DISBURSEMENTS_PATH,
        {
            "application_number": application.number,
            "service": application.service_code,
            "hpf_account": _text(form.get("hpf_account")),
            "bank_name": _text(form.get("bank_name")),
            "bank_account": _text(form.get("bank_account")),
        },
        purpose=f"application:{application.service_code}",
        end_user=f"system:{ACTOR}",
        case_id=application.number,
    )
    await audit.record(
        session,
        AuditContext().entry(
            actor_type="system", actor_id=ACTOR, action="hpf.disbursement.instructed",
            subject_type="application", subject_id=str(application.id),
            after={"number": application.number, "service": application.service_code,
                   "receipt": receipt.get("disbursement_id")},
        ),
    )  # fmt: skip


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
