"""What an approval does beyond the status, in the approving transaction (DESIGN §2, principle 5).

- A renewal service (换证/延续: a code ending in `.renew` or `.continue`) renews the license of
  that type the applicant holds: the next version, issued on behalf of the issuing department.
- A service that produces a new license issues it through the registry (`issue_as_system`);
  the fields come from the approved form (`LICENSE_BUILDERS`). A person who founds an
  enterprise (企业设立登记) is recorded as its founder, so they can act for it at once.
- A housing-fund withdrawal queues the disbursement instruction as a durable job (outbox), so
  that it is sent exactly once after the approval commits, with retries.

The license number goes on the case, so the applicant finds it in the answer and the timeline.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.schemas import AuditContext
from app.auth import service as auth
from app.auth.schemas import VerifiedPerson
from app.certificates import service as certificates
from app.certificates.schemas import HolderCreate, LicenseCreate, LicenseRead
from app.config import Settings
from app.jobs import service as jobs
from app.kit.uscc import make_uscc
from app.services.applications.models import Application
from app.services.catalog.schemas import ServiceDetail

ACTOR = "approvals"
HPF_DISBURSEMENT_JOB = "applications.hpf_disbursement"
_USCC_BODY = "0123456789ABCDEFGHJKLMNPQRTUWXY"
RENEWAL_SUFFIXES = (".renew", ".continue")
BUSINESS_LICENSE = "business-license"

LicenseBuilder = Callable[[Application, VerifiedPerson, Any], LicenseCreate]


async def run(
    session: AsyncSession,
    settings: Settings,
    application: Application,
    service: ServiceDetail,
    person: VerifiedPerson,
    *,
    audit_context: AuditContext,
) -> None:
    """Run the outcome of an approved case."""
    if service.code.startswith("gjj.withdraw."):
        await jobs.enqueue(
            session,
            HPF_DISBURSEMENT_JOB,
            # Queued once: a case is approved once (the status machine allows it once).
            {"application_id": str(application.id), "number": application.number,
             "service": service.code},
        )  # fmt: skip
    if service.produces_license is None:
        return
    type_code = service.produces_license.code
    renewal = service.code.endswith(RENEWAL_SUFFIXES)
    held = await applicants_license(session, application, person, type_code) if renewal else None
    if held is not None and held.status in ("valid", "expired"):
        renewed = await certificates.renew_as_system(
            session, held.license_no, actor_id=ACTOR,
            reason=f"办件 {application.number} 审批通过，换发新证", audit_context=audit_context,
        )  # fmt: skip
        application.license_no = renewed.license_no
        return
    builder = LICENSE_BUILDERS.get(type_code)
    if builder is None:
        return  # the department issues this license from its own system
    issued = await certificates.issue_as_system(
        session, settings, builder(application, person, service), actor_id=ACTOR,
        audit_context=audit_context,
    )  # fmt: skip
    application.license_no = issued.license_no
    uscc = issued.holder.uscc
    if type_code == BUSINESS_LICENSE and application.applicant_uscc is None and uscc is not None:
        # A person founded the enterprise: they act for it from now on (its wallet holds the
        # license), before market regulation's register takes it in.
        await auth.record_founded_enterprise(
            session, uscc=uscc, name=issued.holder.name,
            founder_account_id=application.applicant_account_id,
            source=f"application:{application.number}", audit_context=audit_context,
        )  # fmt: skip


async def applicants_license(
    session: AsyncSession, application: Application, person: VerifiedPerson, type_code: str
) -> LicenseRead | None:
    """The applicant's newest license of a type (the enterprise's when made for one)."""
    if application.applicant_uscc is not None:
        return await certificates.held_license(
            session, type_code=type_code, holder_uscc=application.applicant_uscc
        )
    return await certificates.held_license(
        session, type_code=type_code, holder_id_index=person.id_number_index
    )


def new_enterprise_uscc(application: Application) -> str:
    """The credit code of an enterprise the platform registers: derived from the case, so a
    repeated outcome of one case names the same enterprise."""
    number, body = application.id.int, []
    for _ in range(9):
        number, digit = divmod(number, len(_USCC_BODY))
        body.append(_USCC_BODY[digit])
    return make_uscc("9", "1", "370200", "".join(body))


def _business_license(
    application: Application, person: VerifiedPerson, service: Any
) -> LicenseCreate:
    form = application.form
    uscc = new_enterprise_uscc(application)
    return LicenseCreate(
        type="business-license",
        holder=HolderCreate(kind="enterprise", name=str(form["company_name"]), uscc=uscc),
        fields={
            "uscc": uscc,
            "name": str(form["company_name"]),
            "entity_type": str(form["entity_type"]),
            "legal_representative": str(form["legal_representative"]),
            "registered_capital": form["registered_capital"],
            # The case's number starts with its day in Qingdao: the day it was approved.
            "established_on": f"{application.number[:4]}-{application.number[4:6]}-"
            f"{application.number[6:8]}",
            "business_scope": str(form["business_scope"]),
            "address": str(form["address"]),
        },
        source_record_id=f"application:{application.number}",
    )


LICENSE_BUILDERS: dict[str, LicenseBuilder] = {BUSINESS_LICENSE: _business_license}
