"""A clerk's approval: the same outcome as the rules' would have been, and money still once.

The outcome is the one the ruleset that judged the case names (its version is in the stored
decision), or for a service no ruleset decides, the one its catalog entry implies. A payment
needs an amount: the one the rules computed from verified data, or the one the clerk states
(required when the rules could not compute it: a person then decides, audited). It is granted
once per entitlement like the rules' approvals; the department records a certificate is built
from are fetched now, under the case's purpose.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.service import Actor
from app.audit.schemas import AuditContext
from app.auth import service as auth
from app.config import Settings
from app.rules.outcome import ApprovalOutcome
from app.services.applications import deadlines, entitlements, outcomes
from app.services.applications.errors import AmountRequired, StatusConflict
from app.services.applications.models import Application
from app.services.catalog import service as catalog
from app.services.catalog.schemas import ServiceDetail
from app.services.rulesets import service as rulesets
from app.services.rulesets.errors import InvalidRuleset, RulesetNotFound


async def approve(
    session: AsyncSession,
    settings: Settings,
    application: Application,
    *,
    amount: int | None,
    audit_context: AuditContext,
) -> None:
    """Run the outcome of a case a clerk approved."""
    service = await catalog.cached_service(session, application.service_code)
    outcome = await outcome_of(session, application, service)
    if outcome is None:
        return
    person = await auth.verified_person(session, settings, application.applicant_account_id)
    on = deadlines.today()
    if outcome.kind == "disbursement":
        assert outcome.entitlement is not None
        paid = amount if amount is not None else computed_amount(application.decision)
        if paid is None or paid <= 0:
            raise AmountRequired("规则未能算出支付金额，请填写核定金额", "state the amount to pay")
        holder = entitlements.holder_of(application, person.id_number_index)
        seen = await entitlements.history(session, outcome.entitlement, holder)
        if not await entitlements.grant(session, application, seen, amount=paid, on=on):
            raise StatusConflict(
                "同一待遇刚由另一办件批准，请刷新后重新审核",
                "the same entitlement was just granted to another case",
            )
        decision = dict(application.decision or {})
        decision["review"] = {**decision.get("review", {}), "amount": paid}
        application.decision = decision
    records = outcomes.Records()
    reader = Actor("system", outcomes.ACTOR)  # the approval's outcome reads, not the applicant
    await records.fetch(session, application, person, outcomes.needs(outcome), actor=reader)
    await outcomes.run(
        session, settings, application, service, person,
        outcome=outcome, records=records, on=on, audit_context=audit_context,
    )  # fmt: skip


async def outcome_of(
    session: AsyncSession, application: Application, service: ServiceDetail
) -> ApprovalOutcome | None:
    """What approving the case produces: its ruleset's outcome, else the catalog's."""
    version = ((application.decision or {}).get("rules") or {}).get("ruleset_version")
    if isinstance(version, int):
        try:
            ruleset = await rulesets.stored_version(session, service.code, version)
        except (InvalidRuleset, RulesetNotFound):
            # Decided under a version the engine no longer loads: the catalog's outcome.
            return outcomes.catalog_outcome(service)
        return ruleset.outcome
    return outcomes.catalog_outcome(service)


def computed_amount(decision: dict[str, Any] | None) -> int | None:
    """The amount the rules computed for a case (None when they computed none)."""
    stored = ((decision or {}).get("rules") or {}).get("amount") or {}
    value = stored.get("value")
    return value if isinstance(value, int) else None
