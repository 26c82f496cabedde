"""The first decision on a submitted case: the rules for a 秒批 service, a clerk otherwise.

The machine may say yes; only a person says no (DESIGN §2). For an `auto` service with a
ruleset in force on the application date, the datasets the ruleset needs are gathered under one
deadline (QE_APPROVAL_DEADLINE_SECONDS from the request's arrival, less the reserve for writing
and sending the answer, QE_APPROVAL_ANSWER_RESERVE_SECONDS; every read logged for the applicant
with the case number), the facts are derived with their provenance, and the ruleset is
evaluated. Approved: the case is `approved` and its outcome runs in the same transaction
(outcomes.py). Anything else — a failed criterion, data a department did not give in time —
goes to the clerks of the service's department as `pending_review`, with every criterion
explained.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters import service as exchange
from app.adapters.client import Subject
from app.adapters.service import Actor, DatasetKey, FactResult
from app.audit.schemas import AuditContext
from app.auth.schemas import VerifiedPerson
from app.config import Settings
from app.kit.clock import utcnow
from app.rules.evaluate import Evaluation, evaluate
from app.rules.model import Ruleset, needed_datasets
from app.services.applications import outcomes, transitions
from app.services.applications.facts import (
    ENTERPRISE_DATASETS,
    ApplicantFacts,
    HeldLicense,
    derive_facts,
)
from app.services.applications.models import Application
from app.services.applications.status import Status
from app.services.catalog.schemas import ServiceDetail
from app.services.rulesets import service as rulesets

TO_CLERK_NOTE = "已提交，等待工作人员审核"
RULES_ACTOR = "rules"


async def ruleset_for(session: AsyncSession, service: ServiceDetail, on: date) -> Ruleset | None:
    """The published ruleset in force for a 秒批 service on the application date (None: a
    clerk decides)."""
    if service.mode != "auto":
        return None
    return await rulesets.in_force(session, service.code, on)


@dataclass(frozen=True, slots=True)
class Plan:
    """What deciding a case needs from the database, read before the departments are asked so
    that no connection or lock is held while they answer: the ruleset in force, and the license
    a renewal renews."""

    ruleset: Ruleset | None
    held: HeldLicense | None


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
    return Plan(ruleset, await _held_license(session, application, service, person))


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
) -> Evaluation | None:
    """Gather the departments' data and evaluate the ruleset; None when a clerk decides.

    The departments get until `answer_by` (time.monotonic()) less the answer reserve: what
    has not arrived by then is unknown, and the case goes to a clerk. Every read is logged
    for the applicant."""
    if plan.ruleset is None:
        return None
    gathered = await _gather(
        session, application, service, person, plan.ruleset,
        until=answer_by - settings.approval_answer_reserve_seconds,
    )  # fmt: skip
    facts = derive_facts(
        gathered,
        applicant=ApplicantFacts(person.realname_level, person.verified_at, person.id_number),
        on=on,
        license=plan.held,
        form=application.form,
    )
    return evaluate(plan.ruleset, facts, on)


async def record_first_decision(
    session: AsyncSession,
    settings: Settings,
    application: Application,
    service: ServiceDetail,
    person: VerifiedPerson,
    evaluation: Evaluation | None,
    *,
    audit_context: AuditContext,
) -> None:
    """Store the rules' decision and run an approval's outcome, or hand the case to the
    clerks (with every reason when the rules referred it)."""
    if evaluation is None:
        await transitions.move(session, application, Status.PENDING_REVIEW, actor_type="system",
                               actor_id="intake", note=TO_CLERK_NOTE)  # fmt: skip
        return
    now = utcnow()
    application.decision = {"rules": _explanation(evaluation, now)}
    if evaluation.outcome == "approve":
        application.decided_at = now
        await transitions.move(session, application, Status.APPROVED, actor_type="system",
                               actor_id=RULES_ACTOR, note="符合条件，秒批通过")  # fmt: skip
        await outcomes.run(session, settings, application, service, person,
                           audit_context=audit_context)  # fmt: skip
        return
    await transitions.move(session, application, Status.PENDING_REVIEW, actor_type="system",
                           actor_id=RULES_ACTOR, note=_referral_note(evaluation))  # fmt: skip


async def _gather(
    session: AsyncSession,
    application: Application,
    service: ServiceDetail,
    person: VerifiedPerson,
    ruleset: Ruleset,
    *,
    until: float,
) -> dict[DatasetKey, FactResult]:
    keys: list[DatasetKey] = []
    for name in needed_datasets(ruleset):
        department, _, dataset = name.partition("/")
        keys.append((department, dataset))
    people = [key for key in keys if key not in ENTERPRISE_DATASETS]
    firms = [key for key in keys if key in ENTERPRISE_DATASETS]
    common: dict[str, Any] = {
        "purpose": f"application:{service.code}",
        "actor": Actor("person", str(person.account_id)),
        "case_id": application.number,
    }
    gathered: dict[DatasetKey, FactResult] = {}
    if people:
        gathered |= await exchange.gather_facts(
            session, Subject.person(person.id_number, name=person.name), people, **common,
            deadline_seconds=_left(until),
        )  # fmt: skip
    if firms and application.applicant_uscc is not None:
        # After the person's datasets, within what is left of the time: enterprise services
        # need few person datasets, so the second gathering rarely waits on the first.
        gathered |= await exchange.gather_facts(
            session, Subject.enterprise(application.applicant_uscc), firms, **common,
            deadline_seconds=_left(until),
        )  # fmt: skip
    return gathered


def _left(until: float) -> float:
    # No time left is a gathering that answers at once: every dataset unknown ("deadline").
    return max(0.0, until - time.monotonic())


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
    provenance of what was read (DESIGN §2, principle 2)."""
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


async def run_outcome(
    session: AsyncSession,
    settings: Settings,
    application: Application,
    service: ServiceDetail,
    person: VerifiedPerson,
    *,
    audit_context: AuditContext,
) -> None:
    """What a clerk's approval does beyond the status: the same outcome as the rules'."""
    await outcomes.run(session, settings, application, service, person, audit_context=audit_context)
