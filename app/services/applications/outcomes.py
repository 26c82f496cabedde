"""What an approval does beyond the status, in the approving transaction (DESIGN §2, principle 5).

The ruleset names the outcome (app/rules/outcome.py); a service decided by clerks alone takes
the one its catalog entry implies (`catalog_outcome`). Every approval produces something:

- `disbursement`: the payment instruction is queued as a durable job (outbox), sent once after
  the approval commits, with the amount of the entitlement's grant, to the card the fund centre
  holds (tasks.py);
- `instruction`: the department is told to carry the case out (open an account, move a
  household), as a durable job whose progress shows in the timeline (tasks.py);
- `renewal`: the applicant's license of the type is renewed (its next version);
- `license`: a new e-license is issued from verified records (builders.py). A person who founds
  an enterprise (企业设立登记) is recorded as its founder, so they can act for it at once.

The license number goes on the case, so the applicant finds it in the answer and the timeline.
"""

from __future__ import annotations

import time
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.client import Fact
from app.adapters.records import DatasetRecord
from app.adapters.service import Actor, DatasetKey, FactResult
from app.audit.schemas import AuditContext
from app.auth import service as auth
from app.auth.schemas import VerifiedPerson
from app.certificates import service as certificates
from app.certificates.schemas import LicenseRead
from app.config import Settings
from app.jobs import service as jobs
from app.rules.outcome import ApprovalOutcome
from app.services.applications import builders, gathering, transitions
from app.services.applications.errors import NothingToRenew
from app.services.applications.models import Application
from app.services.catalog.schemas import ServiceDetail

ACTOR = "approvals"
HPF_DISBURSEMENT_JOB = "applications.hpf_disbursement"
INSTRUCTION_JOB = "applications.department_instruction"
RENEWAL_SUFFIXES = (".renew", ".continue")
WITHDRAWAL_PREFIX = "gjj.withdraw."
# Paid by the fund centre to the heirs after its own review, not to the account's bound card.
HEIRS_WITHDRAWAL = "gjj.withdraw.death"
# How long an approval made by a clerk may wait for the records a certificate is built from.
FETCH_SECONDS = 5.0
# Who carries an instruction out, as the timeline names them.
DEPARTMENT_NAMES = {"gjj": "住房公积金管理中心", "gaj": "公安机关"}


class Records:
    """The department records an outcome is built from: those the decision gathered, and for
    a clerk's approval those fetched then (under the case's purpose, logged like any read)."""

    def __init__(self, gathered: dict[DatasetKey, FactResult] | None = None) -> None:
        self.gathered = dict(gathered or {})

    def record(self, dataset: str) -> DatasetRecord | None:
        """The typed record of `dataset` ("gjj/fund-account"), if it was found."""
        department, _, name = dataset.partition("/")
        result = self.gathered.get((department, name))
        if isinstance(result, Fact) and result.found and isinstance(result.record, DatasetRecord):
            return result.record
        return None

    def missing(self, datasets: tuple[str, ...]) -> tuple[str, ...]:
        """Which of `datasets` have no record here."""
        return tuple(name for name in datasets if self.record(name) is None)

    async def fetch(
        self,
        session: AsyncSession,
        application: Application,
        person: VerifiedPerson,
        datasets: tuple[str, ...],
        *,
        actor: Actor,
    ) -> None:
        """Ask the departments for what is missing of `datasets`, as `actor` reads it."""
        missing = self.missing(datasets)
        if missing:
            until = time.monotonic() + FETCH_SECONDS
            self.gathered |= await gathering.gather(
                session, application, person, missing, until=until, actor=actor
            )


def catalog_outcome(service: ServiceDetail) -> ApprovalOutcome | None:
    """The outcome of a service no ruleset decides, as its catalog entry implies: a renewal, a
    license the platform can build, a withdrawal paid as a clerk decides (to the card on
    record, once per entitlement); None when the department acts in its own system."""
    produced = service.produces_license.code if service.produces_license else None
    if produced is not None and service.code.endswith(RENEWAL_SUFFIXES):
        return ApprovalOutcome(kind="renewal", license_type=produced)
    if produced is not None and produced in builders.LICENSE_BUILDERS:
        return ApprovalOutcome(kind="license", license_type=produced)
    if service.code.startswith(WITHDRAWAL_PREFIX) and service.code != HEIRS_WITHDRAWAL:
        # The clerk states the amount on approving (review.py); this formula only caps it.
        return ApprovalOutcome.model_validate(
            {"kind": "disbursement", "entitlement": service.code, "amount": {"fact": "hpf.balance"}}
        )
    return None


def needs(outcome: ApprovalOutcome) -> tuple[str, ...]:
    """The department records an outcome is built from."""
    if outcome.kind != "license" or outcome.license_type is None:
        return ()
    return tuple(dict.fromkeys((*builders.records_of(outcome.license_type), *outcome.records)))


async def run(
    session: AsyncSession,
    settings: Settings,
    application: Application,
    service: ServiceDetail,
    person: VerifiedPerson,
    *,
    outcome: ApprovalOutcome | None,
    records: Records,
    on: date,
    audit_context: AuditContext,
) -> None:
    """Run the outcome of an approved case."""
    if outcome is None:
        return
    if outcome.kind == "disbursement":
        await jobs.enqueue(
            session, HPF_DISBURSEMENT_JOB,
            # Queued once: a case is approved once (the status machine allows it once).
            {"application_id": str(application.id), "number": application.number,
             "service": service.code},
        )  # fmt: skip
        await transitions.note(session, application, "已向住房公积金管理中心发送支付指令（排队中）")
    elif outcome.kind == "instruction":
        assert outcome.department is not None
        assert outcome.action is not None
        await jobs.enqueue(
            session, INSTRUCTION_JOB,
            {"application_id": str(application.id), "number": application.number,
             "department": outcome.department, "action": outcome.action},
        )  # fmt: skip
        unit = DEPARTMENT_NAMES.get(outcome.department, outcome.department)
        await transitions.note(
            session, application, f"已通知{unit}办理（{outcome.action}，排队中）"
        )
    elif outcome.kind == "renewal":
        await _renew(session, application, person, outcome, audit_context)
    else:
        await _issue(session, settings, application, person, outcome, records, on, audit_context)


async def _renew(
    session: AsyncSession,
    application: Application,
    person: VerifiedPerson,
    outcome: ApprovalOutcome,
    audit_context: AuditContext,
) -> None:
    assert outcome.license_type is not None
    held = await applicants_license(session, application, person, outcome.license_type)
    if held is None or held.status not in ("valid", "expired"):
        raise NothingToRenew(
            "申请人没有可换发的有效证照，不能批准", "the applicant holds no license to renew"
        )
    renewed = await certificates.renew_as_system(
        session, held.license_no, actor_id=ACTOR,
        reason=f"办件 {application.number} 审批通过，换发新证", audit_context=audit_context,
    )  # fmt: skip
    application.license_no = renewed.license_no


async def _issue(
    session: AsyncSession,
    settings: Settings,
    application: Application,
    person: VerifiedPerson,
    outcome: ApprovalOutcome,
    records: Records,
    on: date,
    audit_context: AuditContext,
) -> None:
    assert outcome.license_type is not None
    build = builders.LICENSE_BUILDERS[outcome.license_type]
    issued = await certificates.issue_as_system(
        session, settings, build(builders.Source(application, person, records.record, on)),
        actor_id=ACTOR, audit_context=audit_context,
    )  # fmt: skip
    application.license_no = issued.license_no
    uscc = issued.holder.uscc
    if (
        outcome.license_type == builders.BUSINESS_LICENSE
        and application.applicant_uscc is None
        and uscc is not None
    ):
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
