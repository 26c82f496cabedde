"""Job handlers of applications: what an approval sets in motion, sent after it commits.

- The disbursement of an approved withdrawal goes to the fund centre (gjj) with the amount of
  the entitlement's grant and the card the centre holds for the account, read from the centre
  at sending time under the case's purpose; the centre checks the card and the balance again.
- An instruction tells a department to carry the case out (open an account, move a household).

Both are idempotent at the department per case (the case number is the Idempotency-Key), so a
retried job never pays or acts twice. A fault or refusal raises, and the job is retried with
backoff (app.jobs) until it goes dead for an admin to see. The receipt goes into the case's
timeline and the audit trail.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters import instructions
from app.adapters.records import FundAccount
from app.adapters.service import Actor, Unavailable
from app.audit import service as audit
from app.audit.schemas import AuditContext
from app.auth import service as auth
from app.config import get_settings
from app.jobs.registry import job_handler
from app.kit.masking import mask_account
from app.services.applications import gathering, repository, transitions
from app.services.applications.models import Application
from app.services.applications.outcomes import (
    DEPARTMENT_NAMES,
    HPF_DISBURSEMENT_JOB,
    INSTRUCTION_JOB,
    Records,
)

FUND_CENTRE = "gjj"
FUND_ACCOUNT = "gjj/fund-account"
DISBURSEMENTS_PATH = "/gjj/disbursements"
ACTOR = "hpf-disbursement"
INSTRUCTION_ACTOR = "department-instruction"
READ_SECONDS = 5.0


async def _case(session: AsyncSession, payload: dict[str, Any]) -> Application:
    application = await session.get(Application, uuid.UUID(str(payload["application_id"])))
    if application is None:  # never: cases are not deleted
        raise LookupError(f"application {payload['application_id']} is gone")
    return application


@job_handler(HPF_DISBURSEMENT_JOB)
async def instruct_disbursement(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Send the disbursement instruction of an approved withdrawal and record the receipt."""
    application = await _case(session, payload)
    grant = await repository.grant_of(session, application.id)
    if grant is None or grant.amount is None:
        raise LookupError(f"case {application.number} has no granted amount to pay")
    person = await auth.verified_person(session, get_settings(), application.applicant_account_id)
    gathered = await gathering.gather(
        session, application, person, (FUND_ACCOUNT,), until=time.monotonic() + READ_SECONDS,
        actor=Actor("system", ACTOR),
    )  # fmt: skip
    account = Records(gathered).record(FUND_ACCOUNT)
    if not isinstance(account, FundAccount) or account.bound_card is None:
        answer = gathered.get(("gjj", "fund-account"))
        why = answer.reason if isinstance(answer, Unavailable) else "no account or bound card"
        raise instructions.InstructionFailed(f"gjj/fund-account: {why}")
    card = account.bound_card
    receipt = await instructions.send(
        FUND_CENTRE,
        DISBURSEMENTS_PATH,
        {
            "application_number": application.number,
            "service": application.service_code,
            "hpf_account": account.account_number,
            "amount": grant.amount,
            "bank_name": card.bank_name,
            "bank_account": card.card_number,
            "approved_on": grant.granted_on.isoformat(),
        },
        purpose=gathering.purpose(application),
        end_user=f"system:{ACTOR}",
        case_id=application.number,
    )
    await transitions.note(
        session, application,
        f"住房公积金管理中心已受理支付：{grant.amount} 元，至绑定银行卡 {card.bank_name} "
        f"{mask_account(card.card_number)}",
        actor_id=ACTOR,
    )  # fmt: skip
    await audit.record(
        session,
        AuditContext().entry(
            actor_type="system", actor_id=ACTOR, action="hpf.disbursement.instructed",
            subject_type="application", subject_id=str(application.id),
            after={"number": application.number, "service": application.service_code,
                   "amount": grant.amount, "receipt": receipt.get("disbursement_id")},
        ),
    )  # fmt: skip


@job_handler(INSTRUCTION_JOB)
async def instruct_department(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Tell the department to carry an approved case out, and record its receipt."""
    application = await _case(session, payload)
    department, action = str(payload["department"]), str(payload["action"])
    subject: dict[str, str]
    if application.applicant_uscc is not None:
        subject = {"uscc": application.applicant_uscc}
    else:
        person = await auth.verified_person(
            session, get_settings(), application.applicant_account_id
        )
        subject = {"id_number": person.id_number}
    receipt = await instructions.send(
        department,
        f"/{department}/instructions",
        {"application_number": application.number, "service": application.service_code,
         "action": action, "subject": subject, "terms": application.form},
        purpose=gathering.purpose(application),
        end_user=f"system:{INSTRUCTION_ACTOR}",
        case_id=f"{application.number}:{action}",
    )  # fmt: skip
    unit = DEPARTMENT_NAMES.get(department, department)
    await transitions.note(
        session, application, f"{unit}已受理办理指令（{action}）", actor_id=INSTRUCTION_ACTOR
    )
    await audit.record(
        session,
        AuditContext().entry(
            actor_type="system", actor_id=INSTRUCTION_ACTOR, action="application.instructed",
            subject_type="application", subject_id=str(application.id),
            after={"number": application.number, "department": department, "action": action,
                   "receipt": receipt.get("instruction_id")},
        ),
    )  # fmt: skip
