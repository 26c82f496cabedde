"""The later check of a commitment (告知承诺制) an approval stood on.

A ruleset may let the applicant's word stand in for a proof where the law allows it; the
approval records the commitment and queues this check for `within_days` later. The check reads
the departments' data the commitment names (under the case's purpose, logged) and evaluates it:
held, the timeline says so; broken, the case goes back to the department's clerks as
`commitment_breached` with what was found (only a person undoes an approval); not yet
decidable (the department has no record yet), the job is retried later.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.service import Actor
from app.audit import service as audit
from app.audit.schemas import AuditContext
from app.auth import service as auth
from app.config import get_settings
from app.jobs import service as jobs
from app.jobs.registry import job_handler
from app.kit.clock import utcnow
from app.rules.evaluate import Evaluation, check_commitments
from app.rules.model import commitment_datasets
from app.services.applications import deadlines, gathering, transitions
from app.services.applications.facts import ApplicantFacts, derive_facts
from app.services.applications.models import Application
from app.services.applications.status import Status
from app.services.catalog import service as catalog
from app.services.rulesets import service as rulesets

COMMITMENT_CHECK_JOB = "applications.commitment_check"
ACTOR = "commitment-check"
READ_SECONDS = 5.0


class CommitmentUndecided(Exception):
    """The departments' data does not decide the commitment yet: check again later."""


async def schedule(session: AsyncSession, application: Application, evaluation: Evaluation) -> None:
    """Queue the check of the commitments an approval stands on (none: nothing to do)."""
    if not evaluation.commitments:
        return
    days = min(commitment.within_days for commitment in evaluation.commitments)
    await jobs.enqueue(
        session, COMMITMENT_CHECK_JOB,
        {"application_id": str(application.id), "number": application.number},
        run_after=utcnow() + timedelta(days=days),
    )  # fmt: skip
    await transitions.note(
        session, application, f"依告知承诺制批准，将于 {days} 日内核查承诺事项", actor_id=ACTOR
    )


@job_handler(COMMITMENT_CHECK_JOB)
async def check(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Check an approved case's commitments against the departments' data."""
    application = await session.get(Application, uuid.UUID(str(payload["application_id"])))
    if application is None or application.status != Status.APPROVED:
        return  # withdrawn from the check's reach (already before a clerk, or gone)
    version = ((application.decision or {}).get("rules") or {}).get("ruleset_version")
    if not isinstance(version, int):
        return  # approved by a clerk alone: no commitment was recorded
    ruleset = await rulesets.stored_version(session, application.service_code, version)
    person = await auth.verified_person(session, get_settings(), application.applicant_account_id)
    gathered = await gathering.gather(
        session, application, person, commitment_datasets(ruleset),
        until=time.monotonic() + READ_SECONDS, actor=Actor("system", ACTOR),
    )  # fmt: skip
    on = deadlines.today()
    facts = derive_facts(
        gathered, on=on,
        applicant=ApplicantFacts(person.realname_level, person.verified_at, person.id_number),
    )  # fmt: skip
    checks = check_commitments(ruleset, facts, on)
    undecided = [c for c in checks if c.result == "unknown"]
    if undecided:
        raise CommitmentUndecided("; ".join(f"{c.criterion}: {c.reason}" for c in undecided))
    broken = [c for c in checks if c.result == "failed"]
    decision = dict(application.decision or {})
    decision["commitment_check"] = {
        "checked_at": utcnow().isoformat(),
        "checks": [c.model_dump(mode="json") for c in checks],
    }
    application.decision = decision
    if broken:
        service = await catalog.cached_service(session, application.service_code)
        application.deadline = deadlines.for_referral(get_settings(), service, on)
        note = "承诺事项核查不符，转人工审核：" + "；".join(c.criterion for c in broken)
        await transitions.move(session, application, Status.COMMITMENT_BREACHED,
                               actor_type="system", actor_id=ACTOR, note=note)  # fmt: skip
    else:
        await transitions.note(session, application, "承诺事项核查无误", actor_id=ACTOR)
    await audit.record(
        session,
        AuditContext().entry(
            actor_type="system", actor_id=ACTOR, action="application.commitment_checked",
            subject_type="application", subject_id=str(application.id),
            after={"number": application.number, "held": not broken,
                   "broken": [c.criterion for c in broken]},
        ),
    )  # fmt: skip
