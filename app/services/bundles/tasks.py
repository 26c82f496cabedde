"""Job handlers of bundles: running one step of a case (the saga's unit of work), and what the
data exchange lets a case's purpose read.

A step's job runs at least once: a worker killed halfway leaves the job to be claimed again,
and the department is asked again with the same key, so it answers with the receipt it gave.
A step that is no longer queued (done, with a clerk, rejected) is left alone; a step's
completion is a row whose primary key is the step, inserted in the transaction that records
the outcome and queues what follows, so however many runs race, one commits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.purposes import Scope, register_scope
from app.config import get_settings
from app.jobs.registry import job_handler
from app.kit.clock import utcnow
from app.services.bundles import repository, saga, steps
from app.services.bundles.definitions import bundle as bundle_of
from app.services.bundles.models import StepCompletion

RUNNABLE = frozenset({"queued", "retrying"})


@job_handler(saga.RUN_STEP_JOB)
async def run_step(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Carry one step out and move the saga on (see the module's docstring)."""
    step = await repository.step_for_update(session, saga.step_id(payload))
    if step is None or step.status not in RUNNABLE or await repository.completed(session, step.id):
        return
    case = await repository.case_for_update(session, step.case_id)
    if case is None:  # never: cases are not deleted
        raise LookupError(f"the case of step {step.id} is gone")
    bundle = bundle_of(case.bundle_code)
    if bundle is None or bundle.version != case.bundle_version:
        raise LookupError(f"bundle {case.bundle_code} v{case.bundle_version} is not deployed")
    try:
        result = await steps.carry_out(session, get_settings(), case, bundle, step)
    except steps.StepFailed as exc:
        await saga.failed(session, case, bundle, step, str(exc)[:500])
        return
    if isinstance(result, steps.Referred):
        await saga.to_clerk(session, case, step, result.reason)
        return
    await repository.add_completion(
        session, StepCompletion(step_id=step.id, outcome="done", completed_at=utcnow())
    )
    await saga.done(session, case, bundle, step, result.outcome)


async def case_scope(session: Any, number: str) -> Scope | None:
    """What a bundle case's purpose may read: the registry's title record of its seller and
    its dwelling's utility accounts, about those two subjects only."""
    assert isinstance(session, AsyncSession)
    case = await repository.case_by_number(session, number)
    if case is None:
        return None
    bundle = bundle_of(case.bundle_code)
    if bundle is None:
        return None
    datasets = {"bdc/property-ownership"} | {
        f"{s.department}/account-by-address" for s in bundle.steps if s.kind == "utility_transfer"
    }
    # The subjects the executors ask about, read as they read them (app/services/bundles/steps.py).
    subjects = set()
    for step in bundle.steps:
        form = steps.step_form(step, case.form)
        key = {"property_registration": "seller_id_number", "utility_transfer": "address"}
        value = form.get(key.get(step.kind, ""))
        if value:
            subjects.add(str(value).strip().upper())
    return Scope(frozenset(datasets), frozenset(subjects))


register_scope("bundle", case_scope)
