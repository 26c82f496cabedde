"""The first decision on a submitted case: the rules for a 秒批 service, a clerk otherwise.

The machine may say yes; only a person says no (DESIGN §2). For an `auto` service with a
ruleset in force on the application date, the datasets the ruleset needs are gathered under one
deadline (QE_APPROVAL_DEADLINE_SECONDS from the request's arrival, less the reserve for writing
and sending the answer, QE_APPROVAL_ANSWER_RESERVE_SECONDS; every read logged for the applicant
with the case number), the facts are derived with their provenance, and the ruleset is
evaluated. Approved: the entitlement it grants is recorded once (entitlements.py), the case is
`approved` and its outcome runs in the same transaction (outcomes.py). Anything else — a failed
criterion, data a department did not give in time, an approval another case took first — goes
to the clerks of the service's department as `pending_review`, with every criterion explained,
due a number of working days after the referral.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.client import Fact
from app.adapters.service import DatasetKey, FactResult
from app.audit.schemas import AuditContext
from app.auth.schemas import VerifiedPerson
from app.config import Settings
from app.kit.clock import utcnow
from app.rules.evaluate import Evaluation, evaluate
from app.rules.model import Ruleset, gathered_datasets
from app.services.applications import (
    commitments,
    deadlines,
    entitlements,
    gathering,
    materials,
    outcomes,
    transitions,
)
from app.services.applications.entitlements import GrantHistory
from app.services.applications.facts import ApplicantFacts, HeldLicense, derive_facts
from app.services.applications.models import Application
from app.services.applications.status import Status
from app.services.catalog.schemas import ServiceDetail
from app.services.rulesets import service as rulesets

TO_CLERK_NOTE = "已提交，等待工作人员审核"
RULES_ACTOR = "rules"
TAKEN_NOTE = "同一待遇已由另一办件批准，转人工审核"
RECORDS_MISSING_NOTE = "符合条件，但出具证照所需的部门数据暂不可用，转人工审核"


async def ruleset_for(session: AsyncSession, service: ServiceDetail, on: date) -> Ruleset | None:
    """The published ruleset in force for a 秒批 service on the application date (None: a
    clerk decides)."""
    if service.mode != "auto":
        return None
    return await rulesets.in_force(session, service.code, on)


@dataclass(frozen=True, slots=True)
class Plan:
    """What deciding a case needs from the database, read before the departments are asked so
    that no connection or lock is held while they answer: the ruleset in force, the license a
    renewal renews, and the applicant's grants of the entitlement the ruleset pays."""

    ruleset: Ruleset | None
    held: HeldLicense | None
    grants: GrantHistory | None = None


@dataclass(frozen=True, slots=True)
class Decided:
    """The rules' evaluation (None when a clerk decides) and the department records gathered
    (the outcome reuses them, and they prove materials)."""

    evaluation: Evaluation | None
    gathered: dict[DatasetKey, FactResult]


async def plan(
    session: AsyncSession,
    application: Application,
    service: ServiceDetail,
    person: VerifiedPerson,
    on: date,
) -> Plan:
    """The reads a decision needs (nothing to read when a clerk decides)."""
    ruleset = await ruleset_for(session, service, on)
    if ruleset is None:
        return Plan(None, None)
    held = await _held_license(session, application, service, person)
    entitlement = ruleset.outcome.entitlement
    if entitlement is None:
        return Plan(ruleset, held)
    holder = entitlements.holder_of(application, person.id_number_index)
    return Plan(ruleset, held, await entitlements.history(session, entitlement, holder))


async def evaluate_case(
    session: AsyncSession,
    settings: Settings,
    application: Application,
    person: VerifiedPerson,
    service: ServiceDetail,
    plan: Plan,
    *,
    on: date,
    answer_by: float,
) -> Decided | None:
    """Gather the departments' data — what the ruleset needs, and what may prove a material —
    and evaluate the ruleset (none: a clerk decides); None when there is nothing to gather.

    The departments get until `answer_by` (time.monotonic()) less the answer reserve: what
    has not arrived by then is unknown, and the case goes to a clerk. Every read is logged
    for the applicant."""
    proving = materials.pending_datasets(application.materials)
    needed = gathered_datasets(plan.ruleset) if plan.ruleset is not None else ()
    if not needed and not proving:
        return None
    gathered = await gathering.gather(
        session, application, person, tuple(dict.fromkeys((*needed, *proving))),
        until=answer_by - settings.approval_answer_reserve_seconds,
    )  # fmt: skip
    if plan.ruleset is None:
        return Decided(None, gathered)
    facts = derive_facts(
        gathered,
        applicant=ApplicantFacts(person.realname_level, person.verified_at, person.id_number),
        on=on,
        license=plan.held,
        grants=plan.grants,
        form=application.form,
    )
    return Decided(evaluate(plan.ruleset, facts, on), gathered)


async def record_first_decision(
    session: AsyncSession,
    settings: Settings,
    application: Application,
    service: ServiceDetail,
    person: VerifiedPerson,
    plan: Plan,
    decided: Decided | None,
    *,
    on: date,
    audit_context: AuditContext,
) -> None:
    """Store the rules' decision and run an approval's outcome, or hand the case to the
    clerks (with every reason when the rules referred it)."""
    unproven = _settle_materials(application, decided)
    if decided is None or decided.evaluation is None or plan.ruleset is None:
        note = TO_CLERK_NOTE + (_unproven_note(unproven) if unproven else "")
        await transitions.move(session, application, Status.PENDING_REVIEW, actor_type="system",
                               actor_id="intake", note=note)  # fmt: skip
        return
    evaluation, now = decided.evaluation, utcnow()
    application.decision = {"rules": _explanation(evaluation, now)}
    if evaluation.outcome != "approve":
        await _refer(session, settings, application, service, _referral_note(evaluation), on)
        return
    if unproven:
        await _refer(session, settings, application, service, _unproven_note(unproven), on)
        return
    records = outcomes.Records(decided.gathered)
    if records.missing(outcomes.needs(plan.ruleset.outcome)):
        await _refer(session, settings, application, service, RECORDS_MISSING_NOTE, on)
        return
    seen = plan.grants
    if seen is not None:
        paid = evaluation.amount.value if evaluation.amount is not None else None
        if not await entitlements.grant(session, application, seen, amount=paid, on=on):
            await _refer(session, settings, application, service, TAKEN_NOTE, on)
            return
    application.decided_at = now
    await transitions.move(session, application, Status.APPROVED, actor_type="system",
                           actor_id=RULES_ACTOR, note="符合条件，秒批通过")  # fmt: skip
    await outcomes.run(
        session, settings, application, service, person,
        outcome=plan.ruleset.outcome, records=records, on=on, audit_context=audit_context,
    )  # fmt: skip
    await commitments.schedule(session, application, evaluation)


def _settle_materials(application: Application, decided: Decided | None) -> list[str]:
    """Prove the materials a department's record stands in for; the names of those none did."""
    gathered = decided.gathered if decided is not None else {}

    def record(dataset: str) -> tuple[Any, datetime] | None:
        department, _, name = dataset.partition("/")
        found = gathered.get((department, name))
        if isinstance(found, Fact) and found.found and found.record is not None:
            return found.record, found.as_of
        return None

    settled, unproven = materials.settle(list(application.materials), record)
    application.materials = settled
    return unproven


def _unproven_note(unproven: list[str]) -> str:
    return "部门数据未能证明以下材料，请工作人员核实或通知补正：" + "、".join(unproven)


async def _refer(
    session: AsyncSession,
    settings: Settings,
    application: Application,
    service: ServiceDetail,
    note: str,
    on: date,
) -> None:
    # A clerk's time starts with the referral, on the next working day (not on the day the
    # rules looked at it, which may be a Saturday).
    application.deadline = deadlines.for_referral(settings, service, on)
    await transitions.move(session, application, Status.PENDING_REVIEW, actor_type="system",
                           actor_id=RULES_ACTOR, note=note)  # fmt: skip


async def _held_license(
    session: AsyncSession, application: Application, service: ServiceDetail, person: VerifiedPerson
) -> HeldLicense | None:
    """The license a renewal or continuation renews: the applicant's of the type it produces."""
    if service.produces_license is None:
        return None
    held = await outcomes.applicants_license(
        session, application, person, service.produces_license.code
    )
    if held is None:
        return None
    return HeldLicense(status=held.status, valid_until=held.valid_until, as_of=held.updated_at)


def _explanation(evaluation: Evaluation, decided_at: Any) -> dict[str, Any]:
    """The stored explanation: every criterion with the value found, the requirement, and the
    provenance of what was read (DESIGN §2, principle 2); the amount and how it was computed;
    the commitments the approval stands on."""
    return {
        "outcome": evaluation.outcome,
        "ruleset_version": evaluation.ruleset_version,
        "legal_reference": evaluation.legal_reference,
        "decided_at": decided_at.isoformat(),
        "criteria": [
            {
                "id": criterion.id,
                "title": criterion.title,
                "title_en": criterion.title_en,
                "result": criterion.result,
                "found": criterion.found,
                "required": criterion.required,
                "source": ", ".join(criterion.source)
                if isinstance(criterion.source, list | tuple)
                else criterion.source,
                "as_of": criterion.as_of.isoformat() if criterion.as_of else None,
                "reason": criterion.reason,
            }
            for criterion in evaluation.criteria
        ],
        "amount": evaluation.amount.model_dump(mode="json") if evaluation.amount else None,
        "commitments": [c.model_dump(mode="json") for c in evaluation.commitments],
    }


def _referral_note(evaluation: Evaluation) -> str:
    failed = [c.title for c in evaluation.criteria if c.result == "failed"]
    unknown = [c.title for c in evaluation.criteria if c.result == "unknown"]
    parts = []
    if failed:
        parts.append("不符合：" + "；".join(failed))
    if unknown:
        parts.append("数据暂不可用：" + "；".join(unknown))
    return "转人工审核。" + "。".join(parts)
