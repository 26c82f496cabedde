"""What a case may read from the departments: purpose binding by case (DESIGN §2, principle 4).

Every read for a case names the purpose `application:<case number>`. The data exchange asks
this module (registered as the resolver of that kind) which datasets the case may read and about
whom: exactly the datasets its service's ruleset needs for the decision, its outcome and its
commitments' later check (for a service decided by clerks alone, what its outcome needs), about
the case's own applicant — the person, and the enterprise they applied for. An unknown case
number reads nothing.

Filing a case remembers its scope in this process for a little while, so that the 秒批
gathering right after costs no query (and holds no connection while the departments answer);
anything later (a job, a clerk's approval) reads the case from the database.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.purposes import Scope, register_scope
from app.auth import service as auth
from app.config import get_settings
from app.rules.model import Ruleset, commitment_datasets, gathered_datasets
from app.rules.outcome import ApprovalOutcome
from app.services.applications import field_sources, material_sources, outcomes, repository
from app.services.applications.models import Application
from app.services.catalog import service as catalog
from app.services.catalog.errors import ServiceNotFound
from app.services.catalog.schemas import ServiceDetail
from app.services.rulesets import service as rulesets
from app.services.rulesets.errors import InvalidRuleset, RulesetNotFound

APPLICATION_PURPOSE = "application"
PREFILL_PURPOSE = "prefill"
# What a payment reads besides its ruleset's datasets: the account and the card bound to it.
PAYEE_RECORDS = ("gjj/fund-account",)
_REMEMBERED_SECONDS = 120.0
_REMEMBERED_MAX = 10_000
_remembered: OrderedDict[str, tuple[float, Scope]] = OrderedDict()


def scope_of(
    ruleset: Ruleset | None,
    outcome: ApprovalOutcome | None,
    subjects: list[str],
    proving: tuple[str, ...] = (),
) -> Scope:
    """The scope of a case decided by `ruleset` (or by clerks, with `outcome`), whose
    materials the datasets `proving` may prove."""
    datasets: set[str] = set(proving)
    if ruleset is not None:
        datasets |= {*gathered_datasets(ruleset), *commitment_datasets(ruleset)}
        outcome = ruleset.outcome
    if outcome is not None:
        datasets |= set(outcomes.needs(outcome))
        if outcome.kind == "disbursement":
            datasets |= set(PAYEE_RECORDS)
    return Scope(frozenset(datasets), frozenset(s.strip().upper() for s in subjects))


def remember(number: str, scope: Scope) -> None:
    """Keep a just-filed case's scope for the gathering that follows."""
    _remembered[number] = (time.monotonic() + _REMEMBERED_SECONDS, scope)
    _remembered.move_to_end(number)
    while len(_remembered) > _REMEMBERED_MAX:
        _remembered.popitem(last=False)


async def case_scope(session: Any, number: str) -> Scope | None:
    """The scope of the case numbered `number`, or None when there is no such case."""
    remembered = _remembered.get(number)
    if remembered is not None and remembered[0] > time.monotonic():
        return remembered[1]
    assert isinstance(session, AsyncSession)
    application = await repository.by_number(session, number)
    if application is None:
        return None
    return await _stored_scope(session, application)


async def _stored_scope(session: AsyncSession, application: Application) -> Scope:
    service = await catalog.cached_service(session, application.service_code)
    version = ((application.decision or {}).get("rules") or {}).get("ruleset_version")
    ruleset: Ruleset | None = None
    try:
        if isinstance(version, int):
            ruleset = await rulesets.stored_version(session, service.code, version)
        elif service.mode == "auto":
            ruleset = await rulesets.in_force(
                session, service.code, application.submitted_at.date()
            )
    except (InvalidRuleset, RulesetNotFound):
        ruleset = None
    person = await auth.verified_person(session, get_settings(), application.applicant_account_id)
    subjects = [person.id_number]
    if application.applicant_uscc is not None:
        subjects.append(application.applicant_uscc)
    proving = tuple(s.dataset for m in service.materials for s in material_sources.of(m.code))
    return scope_of(ruleset, outcomes.catalog_outcome(service), subjects, proving)


async def prefill_scope(session: Any, service_code: str) -> Scope | None:
    """What filling a service's form may read: the datasets its fields and materials are
    filled from (about the signed-in applicant, whom prefill alone asks about)."""
    assert isinstance(session, AsyncSession)
    try:
        service = await catalog.cached_service(session, service_code)
    except ServiceNotFound:
        return None
    return Scope(frozenset(prefill_datasets(service)), None)


def prefill_datasets(service: ServiceDetail) -> set[str]:
    """The datasets a service's prefill reads (its fields', its materials', and what they
    need to find them: the enterprise's registration, the applicant's employer)."""
    fields = list(service.form_schema.get("properties", {}))
    needed = field_sources.datasets_for(service.code, fields)
    datasets = {name for names in needed.values() for name in names}
    datasets |= {s.dataset for m in service.materials for s in material_sources.of(m.code)}
    return datasets | {"scjg/enterprise-registration", "rsj/employment-registration"}


register_scope(APPLICATION_PURPOSE, case_scope)
register_scope(PREFILL_PURPOSE, prefill_scope)
