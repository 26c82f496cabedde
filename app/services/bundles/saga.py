"""The saga of a bundle case: which steps run when, and what a step's end sets in motion.

Every move here happens in the caller's transaction (a confirmation's request, a step's job):
the step's new status, its audit record, the news to the parties and the next steps' jobs
commit together or not at all (the job table is the outbox). A step runs as a durable job
keyed by step and attempt, so a retried request or a rerun job queues nothing twice; a step
runs once its dependencies are all done; a rejected step starts nothing that depends on it;
a failure is retried with doubling backoff, then handed to a clerk of the step's department
with the error, and the other steps stand.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.audit.schemas import AuditContext
from app.jobs import service as jobs
from app.kit.clock import utcnow
from app.notifications import events
from app.notifications import service as notifications
from app.services.bundles import repository
from app.services.bundles.definitions import Bundle
from app.services.bundles.models import BundleCase, CaseParty, CaseStep

RUN_STEP_JOB = "bundles.run_step"
ACTOR = "bundle-saga"
FINISHED = frozenset({"done", "rejected", "not_started"})
STATUS_ZH = {
    "queued": "已推送办理",
    "retrying": "部门系统暂不可用，稍后自动重试",
    "done": "已办结",
    "with_clerk": "已转部门工作人员处理",
    "rejected": "不予办理",
    "not_started": "因前序环节未通过，未启动",
    "running": "各方已确认，开始办理",
    "completed": "全部环节已办结",
    "stopped": "登记未通过，后续环节未启动",
    "expired": "确认已超时，申请失效",
    "attention": "有环节需部门工作人员处理",
}


async def _tell(
    session: AsyncSession,
    case: BundleCase,
    parties: Sequence[CaseParty],
    event_type: str,
    payload: dict[str, object],
    department: str | None = None,
) -> None:
    """News to every party that confirmed (accounts) and to the partner systems subscribed."""
    accounts = [party.account_id for party in parties if party.account_id is not None]
    await notifications.publish(
        session,
        event_type,
        subject=f"bundle:{case.number}",
        payload={
            "case_id": str(case.id),
            "number": case.number,
            "bundle_code": case.bundle_code,
            **payload,
        },
        department_code=department,
        accounts=accounts,
    )


async def _audit(
    session: AsyncSession, action: str, case: BundleCase, after: dict[str, object]
) -> None:
    await audit.record(
        session,
        AuditContext().entry(
            actor_type="system",
            actor_id=ACTOR,
            action=action,
            subject_type="bundle_case",
            subject_id=str(case.id),
            after={"number": case.number, **after},
        ),
    )


async def _queue(session: AsyncSession, step: CaseStep, *, delay_seconds: float = 0) -> None:
    now = utcnow()
    await jobs.enqueue(
        session,
        RUN_STEP_JOB,
        {"step_id": str(step.id)},
        run_after=now + timedelta(seconds=delay_seconds),
        dedupe_key=f"{RUN_STEP_JOB}:{step.id}:{step.attempts}",
        # The saga counts the attempts itself (the step's budget, then a clerk); the job's
        # own retries cover only a worker that died or a transaction that failed to commit.
        max_attempts=10,
    )
    step.updated_at = now


async def _step_moved(
    session: AsyncSession,
    case: BundleCase,
    step: CaseStep,
    status: str,
    *,
    error: str | None = None,
) -> None:
    before = step.status
    step.status, step.error, step.updated_at = status, error, utcnow()
    await session.flush()
    parties = await repository.parties(session, case.id)
    await _tell(
        session,
        case,
        parties,
        events.BUNDLE_STEP_CHANGED,
        {
            "step": step.key,
            "service_code": step.service_code,
            "department": step.department_code,
            "status": status,
            "status_zh": STATUS_ZH.get(status, status),
        },
        department=step.department_code,
    )
    await _audit(
        session,
        "bundle.step_" + status,
        case,
        {"step": step.key, "from": before, "to": status, "attempts": step.attempts},
    )


async def case_moved(session: AsyncSession, case: BundleCase, status: str) -> None:
    """Record and tell a case's new status (the caller checked it may move)."""
    case.status, case.updated_at = status, utcnow()
    await session.flush()
    parties = await repository.parties(session, case.id)
    await _tell(
        session,
        case,
        parties,
        events.BUNDLE_CASE_CHANGED,
        {"status": status, "status_zh": STATUS_ZH.get(status, status)},
    )
    await _audit(session, "bundle.case_" + status, case, {"status": status})


async def _ready(session: AsyncSession, case: BundleCase, bundle: Bundle) -> None:
    """Queue every waiting step whose dependencies are all done."""
    steps = {step.key: step for step in await repository.steps(session, case.id)}
    for declared in bundle.steps:
        step = steps[declared.key]
        if step.status != "waiting":
            continue
        if all(steps[key].status == "done" for key in declared.depends_on):
            await _queue(session, step)
            await _step_moved(session, case, step, "queued")
    await _settle(session, case, list(steps.values()))


async def _settle(session: AsyncSession, case: BundleCase, steps: list[CaseStep]) -> None:
    """The case's status from its steps': completed, stopped, or needing a clerk."""
    statuses = {step.status for step in steps}
    if statuses <= {"done"}:
        target = "completed"
    elif statuses <= FINISHED:
        target = "stopped"
    elif "with_clerk" in statuses:
        target = "attention"
    else:
        target = "running"
    if target != case.status:
        await case_moved(session, case, target)


async def start(session: AsyncSession, case: BundleCase, bundle: Bundle) -> None:
    """Every party confirmed: the steps without dependencies are queued."""
    await case_moved(session, case, "running")
    await _ready(session, case, bundle)


async def done(
    session: AsyncSession,
    case: BundleCase,
    bundle: Bundle,
    step: CaseStep,
    outcome: dict[str, object],
) -> None:
    """A step was carried out: its outcome, then whatever waited for it."""
    step.outcome = outcome
    await _step_moved(session, case, step, "done")
    await _ready(session, case, bundle)


async def rejected(
    session: AsyncSession, case: BundleCase, bundle: Bundle, step: CaseStep, reason: str
) -> None:
    """A clerk refused the step: nothing that depends on it, however indirectly, starts."""
    step.outcome = {"decision": "rejected", "reason": reason}
    await _step_moved(session, case, step, "rejected")
    steps = {s.key: s for s in await repository.steps(session, case.id)}
    blocked = {step.key}
    for declared in bundle.steps:  # in file order: dependencies come first
        if blocked & set(declared.depends_on) and steps[declared.key].status == "waiting":
            blocked.add(declared.key)
            await _step_moved(session, case, steps[declared.key], "not_started")
    await _settle(session, case, list(steps.values()))


async def failed(
    session: AsyncSession, case: BundleCase, bundle: Bundle, step: CaseStep, error: str
) -> None:
    """An attempt failed: retried after a doubling backoff, or past the bundle's budget handed
    to a clerk of the step's department with the error."""
    step.attempts += 1
    if step.attempts < bundle.retry.attempts:
        await _queue(
            session, step, delay_seconds=bundle.retry.backoff_seconds * 2 ** (step.attempts - 1)
        )
        await _step_moved(session, case, step, "retrying", error=error)
        return
    await to_clerk(session, case, step, error)


async def to_clerk(session: AsyncSession, case: BundleCase, step: CaseStep, why: str) -> None:
    """The step waits for a clerk of its department (a failure past the budget, or a
    registration the verified data does not carry)."""
    await _step_moved(session, case, step, "with_clerk", error=why)
    await _settle(session, case, list(await repository.steps(session, case.id)))


async def retry_by_clerk(session: AsyncSession, case: BundleCase, step: CaseStep) -> None:
    """A clerk sends the step back to its department's system (a new attempt budget)."""
    step.attempts += 1
    await _queue(session, step)
    await _step_moved(session, case, step, "queued")
    await _settle(session, case, list(await repository.steps(session, case.id)))


def step_id(payload: dict[str, object]) -> uuid.UUID:
    """The step a job runs."""
    return uuid.UUID(str(payload["step_id"]))
