"""Renewals the platform offers before it is asked (无感审批, DESIGN §2 principle 10).

Two steps, both with the machinery of an ordinary application:

- `assess_renewal` (the daily scan): the enterprise's data the renewal ruleset needs is read
  from the departments under the purpose `renewal-offer:<license number>` (logged for the
  enterprise like any read), the person who may accept is found (the legal representative of
  record, if they have an account), and the ruleset is evaluated as it would be for them.
- `file_renewal` (the holder accepted): a case of the renewal service is filed for the
  enterprise and decided by the same ruleset in the same way as a 秒批 submission (data read
  again under the case's purpose), in the caller's transaction: the offer's acceptance, the
  case, its decision, the renewed license and their audit records commit together.

The renewal ruleset decides even where the service's own counter is a clerk's (the
kindergarten licence): the offer is made only where the data shows every criterion met, and
the case still goes to a clerk whenever the data says otherwise on the day it is accepted.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters import service as exchange
from app.adapters.client import Fact, Subject
from app.adapters.purposes import Scope, register_scope
from app.adapters.records import EnterpriseRegistration
from app.adapters.service import Actor, DatasetKey, FactResult
from app.audit import service as audit
from app.audit.schemas import AuditContext
from app.auth import service as auth
from app.auth.errors import RealnameLevelRequired
from app.auth.personal_data import blind_index
from app.certificates.schemas import LicenseRead
from app.config import Settings
from app.kit.clock import utcnow
from app.kit.ids import new_id
from app.rules.evaluate import Evaluation, evaluate
from app.rules.model import Ruleset, gathered_datasets
from app.services.applications import (
    deadlines,
    decisions,
    materials,
    outcomes,
    repository,
    scopes,
    transitions,
)
from app.services.applications.errors import OpenCaseExists
from app.services.applications.facts import ApplicantFacts, HeldLicense, derive_facts
from app.services.applications.facts_enterprise import REGISTRATION
from app.services.applications.models import Application
from app.services.applications.status import Status
from app.services.catalog import service as catalog
from app.services.rulesets import service as rulesets

OFFER_PURPOSE = "renewal-offer"
SCAN_ACTOR = Actor("system", "renewal-offers")
# How long the departments get for one license's reads in the scan (a job, not a request).
SCAN_DEADLINE_SECONDS = 5.0
_REMEMBERED_SECONDS = 120.0
_scan_scopes: OrderedDict[str, tuple[float, Scope]] = OrderedDict()


@dataclass(frozen=True, slots=True)
class Assessment:
    """What the scan found for one expiring license."""

    account_id: uuid.UUID | None  # who may accept (None: nobody with an account represents it)
    outcome: str | None  # "approve" or "refer"; None when no ruleset is in force
    ruleset_version: int | None
    failing: list[dict[str, str]] = field(default_factory=list)  # {id, title, title_en, result}


def _held(license_: LicenseRead) -> HeldLicense:
    return HeldLicense(
        status=license_.status, valid_until=license_.valid_until, as_of=license_.updated_at
    )


def _enterprise_keys(ruleset: Ruleset) -> list[DatasetKey]:
    names = dict.fromkeys(("/".join(REGISTRATION), *gathered_datasets(ruleset)))
    return [(n.partition("/")[0], n.partition("/")[2]) for n in names]


async def _offer_scope(_: Any, reference: str) -> Scope | None:
    # Only the scan reads under this purpose, right after it remembered what it may read.
    remembered = _scan_scopes.get(reference)
    if remembered is None or remembered[0] < time.monotonic():
        return None
    return remembered[1]


register_scope(OFFER_PURPOSE, _offer_scope)


def _remember(license_no: str, scope: Scope) -> None:
    _scan_scopes[license_no] = (time.monotonic() + _REMEMBERED_SECONDS, scope)
    _scan_scopes.move_to_end(license_no)
    while len(_scan_scopes) > 10_000:
        _scan_scopes.popitem(last=False)


async def assess_renewal(
    session: AsyncSession,
    settings: Settings,
    license_: LicenseRead,
    *,
    service_code: str,
    form: dict[str, Any],
    on: date,
) -> Assessment:
    """Evaluate the renewal of an enterprise's expiring license as its representative would
    apply for it today (`form` holds the commitments accepting makes)."""
    uscc = license_.holder.uscc
    assert uscc is not None, "offers renew enterprises' licenses"
    ruleset = await rulesets.in_force(session, service_code, on)
    keys = _enterprise_keys(ruleset) if ruleset is not None else [REGISTRATION]
    _remember(license_.license_no, Scope(frozenset("/".join(k) for k in keys), frozenset({uscc})))
    gathered: dict[DatasetKey, FactResult] = await exchange.gather_facts(
        session, Subject.enterprise(uscc), keys, purpose=f"{OFFER_PURPOSE}:{license_.license_no}",
        actor=SCAN_ACTOR, deadline_seconds=SCAN_DEADLINE_SECONDS,
    )  # fmt: skip
    account_id = await _representative(session, settings, gathered.get(REGISTRATION))
    if account_id is None or ruleset is None:
        return Assessment(account_id, None, None)
    try:
        person = await auth.verified_person(session, settings, account_id)
    except RealnameLevelRequired:
        return Assessment(None, None, None)
    facts = derive_facts(
        gathered,
        applicant=ApplicantFacts(person.realname_level, person.verified_at, person.id_number),
        on=on, license=_held(license_), form=form,
    )  # fmt: skip
    evaluation = evaluate(ruleset, facts, on)
    return Assessment(
        account_id, evaluation.outcome, evaluation.ruleset_version, _failing(evaluation)
    )


def _failing(evaluation: Evaluation) -> list[dict[str, str]]:
    return [
        {"id": c.id, "title": c.title, "title_en": c.title_en or c.title, "result": c.result}
        for c in evaluation.criteria
        if c.result != "passed"
    ]


async def _representative(
    session: AsyncSession, settings: Settings, found: FactResult | None
) -> uuid.UUID | None:
    """The account of the enterprise's legal representative of record, if they have one."""
    if not isinstance(found, Fact) or not found.found:
        return None
    record = found.record
    if not isinstance(record, EnterpriseRegistration):
        return None
    index = blind_index(settings, record.legal_representative_id_number.strip().upper())
    return await auth.account_by_id_number_index(session, index)


@dataclass(frozen=True, slots=True)
class Filed:
    """The case an accepted offer filed."""

    application_id: uuid.UUID
    number: str
    status: str
    license_no: str | None
    # The enterprise's registered address, as market regulation gave it to the decision: where a
    # paper copy goes (None when the record was not read).
    registered_address: str | None = None


async def file_renewal(
    session: AsyncSession,
    settings: Settings,
    *,
    account_id: uuid.UUID,
    uscc: str,
    service_code: str,
    form: dict[str, Any],
    offer_ref: str,
    audit_context: AuditContext,
) -> Filed:
    """File and decide the renewal an offer's holder accepted, in the caller's transaction
    (nothing is committed here). OpenCaseExists (409) when the enterprise already has an open
    case of the service."""
    service = await catalog.cached_service(session, service_code)
    person = await auth.verified_person(session, settings, account_id)
    day, now = deadlines.today(), utcnow()
    ruleset = await rulesets.in_force(session, service.code, day)
    application = Application(
        id=new_id(), number="", service_code=service.code,
        department_code=service.department.code, mode="auto", applicant_account_id=account_id,
        applicant_uscc=uscc, form=form, materials=[], status=Status.SUBMITTED,
        deadline=deadlines.for_submission(settings, service, day), decision=None,
        license_no=None, claimed_by=None, claim_expires_at=None, submitted_at=now,
        decided_at=None, updated_at=now,
    )  # fmt: skip
    application.open_key = transitions.open_key(application)
    if await repository.open_case(session, service.code, application.open_key) is not None:
        raise OpenCaseExists(
            "该企业已有办理中的同一事项申请，请在办件中查看",
            "the enterprise already has an open application for this service",
        )
    application.materials = await _materials(session, service, uscc, offer_ref)
    held = await outcomes.applicants_license(session, application, person, _type(service))
    plan = decisions.Plan(ruleset, None if held is None else _held(held))
    application.number = f"{day:%Y%m%d}{await repository.next_sequence(session, day):06d}"
    await repository.add(
        session, application,
        transitions.event(application, None, "citizen", str(account_id),
                          f"受理主动换证服务（{offer_ref}），一键确认换证"),
    )  # fmt: skip
    try:
        await session.flush()
    except IntegrityError as exc:  # a counter application filed at the same moment
        raise OpenCaseExists(
            "该企业已有办理中的同一事项申请，请在办件中查看",
            "the enterprise already has an open application for this service",
        ) from exc
    decided: decisions.Decided | None = None
    if ruleset is not None:
        scopes.remember(
            application.number, scopes.scope_of(ruleset, None, [person.id_number, uscc])
        )
        decided = await decisions.evaluate_case(
            session, settings, application, person, service, plan,
            on=day, answer_by=time.monotonic() + SCAN_DEADLINE_SECONDS,
        )  # fmt: skip
    await decisions.record_first_decision(
        session, settings, application, service, person, plan, decided, on=day,
        audit_context=audit_context,
    )  # fmt: skip
    await audit.record(
        session,
        audit_context.entry(
            actor_type="person", actor_id=str(account_id), action="application.submitted",
            subject_type="application", subject_id=str(application.id),
            after={"service": service.code, "number": application.number, "offer": offer_ref},
        ),
    )  # fmt: skip
    await session.flush()
    found = decided.gathered.get(REGISTRATION) if decided is not None else None
    address = (
        found.record.address
        if isinstance(found, Fact) and isinstance(found.record, EnterpriseRegistration)
        else None
    )
    return Filed(
        application.id, application.number, application.status, application.license_no, address
    )


async def note_case(
    session: AsyncSession, application_id: uuid.UUID, text: str, *, actor_id: str
) -> bool:
    """Add a step to a case's timeline that changes no status (a delivery's progress); False
    when there is no such case."""
    application = await repository.by_id(session, application_id)
    if application is None:
        return False
    await transitions.note(session, application, text, actor_id=actor_id)
    return True


def _type(service: Any) -> str:
    assert service.produces_license is not None, "a renewal service produces a license"
    code: str = service.produces_license.code
    return code


async def _materials(
    session: AsyncSession, service: Any, uscc: str, offer_ref: str
) -> list[dict[str, Any]]:
    """The registry's licenses stand in for the materials they can; the rest the offer's
    acceptance stands in for (a renewal of what the registry holds, under 告知承诺)."""
    holder = materials.Holder(uscc=uscc)
    resolved: list[dict[str, Any]] = []
    for material in service.materials:
        found = None
        if material.license_type is not None:
            found = await materials.registry_license_read(session, holder, material.license_type)
        satisfied_by: dict[str, Any] = (
            {"kind": "license", "license_no": found.license_no}
            if found is not None
            else {"kind": "offer", "offer": offer_ref}
        )
        resolved.append({"code": material.code, "name": material.name,
                         "required": material.required, "satisfied_by": satisfied_by})  # fmt: skip
    return resolved
