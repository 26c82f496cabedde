"""Bundles (一件事一次办) as other domains and the endpoints see them: the merged form, filing,
each party's confirmation, the case with every step, and the clerks' word on a step.

A case is filed by the bundle's initiator (filing is their confirmation) and names the other
parties by name and ID number; each of them confirms in their own app, where the platform
knows them by their verified identity, never by anything in the request: nobody can confirm
another's role. When the last one confirms, the saga starts (app/services/bundles/saga.py).
Anyone who is not a party gets 404, as for a case that does not exist.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.audit.schemas import AuditContext
from app.auth import service as auth
from app.auth.principals import Citizen, Principal, Staff
from app.auth.schemas import VerifiedPerson
from app.config import Settings
from app.kit.clock import to_shanghai, utcnow
from app.kit.masking import mask_name
from app.notifications import events
from app.notifications import service as notifications
from app.services.applications import service as applications
from app.services.bundles import forms, repository, saga
from app.services.bundles.definitions import Bundle
from app.services.bundles.definitions import bundle as bundle_of
from app.services.bundles.errors import (
    BundleNotFound,
    CaseNotFound,
    ConfirmationClosed,
    ConfirmationExpired,
    NotAParty,
    StepNotFound,
    StepStatusConflict,
)
from app.services.bundles.models import BundleCase, CaseParty, CaseStep, StepCompletion
from app.services.bundles.schemas import (
    BundleApplicationCreate,
    BundleCaseRead,
    BundleField,
    BundleOption,
    BundleParty,
    BundlePrefillRead,
    BundleStepRef,
    ClerkDecision,
    ClerkStepRead,
    PartyRead,
    StepRead,
)
from app.services.bundles.steps import Done, Referred, register_by_clerk


def _bundle(code: str) -> Bundle:
    found = bundle_of(code)
    if found is None:
        raise BundleNotFound(f"联办事项 {code} 不存在", f"there is no bundle {code!r}")
    return found


def _account(principal: Principal) -> uuid.UUID:
    # A person in their own name: a bundle is about people (a sale, a birth), not enterprises.
    if principal.kind != "person" or principal.enterprise is not None:
        raise NotAParty("联办事项须由群众本人办理", "bundles are for people in their own name")
    return uuid.UUID(principal.id)


async def prefill(
    session: AsyncSession, settings: Settings, principal: Principal, code: str
) -> BundlePrefillRead:
    """The bundle's merged form as the platform fills it for the initiator, each field once
    (see BundleField); BundleNotFound (404), NotAParty (403), L2 required."""
    account_id = _account(principal)
    bundle = _bundle(code)
    me = await auth.me(session, settings, Citizen(account_id, principal))
    identity = {attribute.name: attribute for attribute in me.attributes}
    services = {f.prefill for f in bundle.fields if f.prefill is not None}
    by_service = {
        service: {
            f.name: f
            for f in (await applications.prefill_form(session, settings, principal, service)).fields
        }
        for service in sorted(services)
    }
    initiator = bundle.initiator.role
    fields = []
    for f in bundle.fields:
        used_by = [step.key for step in bundle.steps if f.name in step.form.values()]
        common: dict[str, Any] = {
            "name": f.name,
            "label": f.label,
            "party": f.party,
            "steps": used_by,
        }
        if f.identity is not None and f.party == initiator:
            attribute = identity.get(f.identity)
            fields.append(
                BundleField(
                    **common,
                    value=attribute.value if attribute else None,
                    source=attribute.source if attribute else None,
                    as_of=attribute.as_of if attribute else None,
                    editable=False,
                    fill="verified",
                )
            )
        elif f.identity is not None:
            fields.append(
                BundleField(
                    **common,
                    editable=False,
                    fill="at_confirmation",
                    note="由该方在本人账户确认时以其实名信息填入",
                )
            )
        elif f.prefill is not None:
            single = by_service[f.prefill].get(f.name)
            options = (
                [
                    BundleOption(value=o.value, label=o.label, source=o.source)
                    for o in single.options
                ]
                if single is not None and single.options
                else None
            )
            fields.append(
                BundleField(
                    **common,
                    value=single.value if single else None,
                    source=single.source if single else None,
                    as_of=single.as_of if single else None,
                    editable=single.editable if single else True,
                    fill=_fill(single.fill if single else None, options),
                    note=single.note if single else None,
                    options=options,
                )
            )
        else:
            fields.append(BundleField(**common, editable=True, fill="declared", note=f.declared))
    return BundlePrefillRead(
        bundle_code=bundle.code,
        version=bundle.version,
        parties=[
            BundleParty(role=p.role, name=p.name, name_en=p.name_en, initiator=p.initiator)
            for p in bundle.parties
        ],
        steps=[
            BundleStepRef(
                key=s.key,
                service_code=s.service,
                unit=s.unit,
                department=s.department,
                depends_on=list(s.depends_on),
            )
            for s in bundle.steps
        ],
        fields=fields,
        uploads_needed=[],
    )


def _fill(single: str | None, options: list[BundleOption] | None) -> Any:
    if single == "verified":
        return "verified"
    return "options" if options else "declared"


def _number() -> str:
    # Read out over the phone: 一件事 (YJS), the day, eight random digits (unique in the table).
    day = to_shanghai(utcnow()).strftime("%Y%m%d")
    return f"YJS{day}{secrets.randbelow(10**8):08d}"


async def file(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    code: str,
    data: BundleApplicationCreate,
    *,
    audit_context: AuditContext,
) -> BundleCaseRead:
    """File a bundle: the merged form checked field by field (locked fields as verified, each
    field once, every step's form against its service's schema), the named parties asked to
    confirm. InvalidBundleForm (422) names the fields at fault, never their values."""
    account_id = _account(principal)
    bundle = _bundle(code)
    person = await auth.verified_person(session, settings, account_id)
    filled = await prefill(session, settings, principal, code)
    form = forms.merged(bundle, filled, data.form, person)
    await forms.check_steps(session, bundle, form)
    now = utcnow()
    case = BundleCase(
        id=uuid.uuid4(),
        number=_number(),
        bundle_code=bundle.code,
        bundle_version=bundle.version,
        initiator_account_id=account_id,
        status="awaiting_confirmation",
        form=form,
        confirm_by=now + timedelta(hours=bundle.confirm_hours),
        created_at=now,
        updated_at=now,
    )
    # Deadlines in working days of Asia/Shanghai, from the filing (as single services count).
    day, workdays = to_shanghai(now).date(), settings.working_calendar()
    rows: list[object] = [case]
    for party in bundle.parties:
        index = (
            person.id_number_index
            if party.initiator
            else auth.id_number_blind_index(settings, str(form[party.named_by.id_number]))  # type: ignore[union-attr]
        )
        rows.append(
            CaseParty(
                case_id=case.id,
                role=party.role,
                id_index=index,
                account_id=account_id if party.initiator else None,
                confirmed_at=now if party.initiator else None,
            )
        )
    for position, step in enumerate(bundle.steps):
        rows.append(
            CaseStep(
                case_id=case.id,
                key=step.key,
                position=position,
                service_code=step.service,
                department_code=step.department,
                unit=step.unit,
                status="waiting",
                attempts=0,
                deadline=workdays.add_workdays(day, step.deadline_days),
                updated_at=now,
            )
        )
    await repository.add_all(session, rows)
    await audit.record(
        session,
        audit_context.entry(
            actor_type="person",
            actor_id=str(account_id),
            action="bundle.case_filed",
            subject_type="bundle_case",
            subject_id=str(case.id),
            after={"number": case.number, "bundle": bundle.code, "version": bundle.version},
        ),
    )
    for row in await repository.parties(session, case.id):
        if row.account_id is None:
            declared = next(p for p in bundle.parties if p.role == row.role)
            await notifications.publish(
                session,
                events.BUNDLE_CONFIRMATION_REQUESTED,
                subject=f"bundle:{case.number}",
                payload={
                    "case_id": str(case.id),
                    "number": case.number,
                    "bundle_code": case.bundle_code,
                    "role": row.role,
                    "role_zh": declared.name,
                    "role_en": declared.name_en,
                    "confirm_by": to_shanghai(case.confirm_by).strftime("%Y-%m-%d %H:%M"),
                },
                holder_index=row.id_index,
            )
    if await repository.unconfirmed(session, case.id) == 0:
        await saga.start(session, case, bundle)
    return await _read(session, case, account_id, person.id_number_index)


async def _party_case(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    case_id: str,
    *,
    for_update: bool = False,
) -> tuple[BundleCase, uuid.UUID, VerifiedPerson]:
    account_id = _account(principal)
    person = await auth.verified_person(session, settings, account_id)
    try:
        parsed = uuid.UUID(case_id)
    except ValueError:
        raise CaseNotFound("联办件不存在", "no such bundle case") from None
    case = await repository.visible_case(
        session, parsed, account_id, person.id_number_index, for_update=for_update
    )
    if case is None:
        raise CaseNotFound("联办件不存在", "no such bundle case")
    return case, account_id, person


async def get(
    session: AsyncSession, settings: Settings, principal: Principal, case_id: str
) -> BundleCaseRead:
    """A case with every party and step, to any of its parties; CaseNotFound (404) for anyone
    else."""
    case, account_id, person = await _party_case(session, settings, principal, case_id)
    return await _read(session, case, account_id, person.id_number_index)


async def confirm(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    case_id: str,
    *,
    audit_context: AuditContext,
) -> BundleCaseRead:
    """The caller confirms their own role of the case (known by their verified ID number, never
    by the request): their verified name and phone fill the form's fields about them. The last
    confirmation starts the saga. A repeated confirmation answers the case as it is;
    ConfirmationExpired (409) past the deadline; ConfirmationClosed (409) once it is over."""
    case, account_id, person = await _party_case(
        session, settings, principal, case_id, for_update=True
    )
    bundle = _bundle(case.bundle_code)
    parties = await repository.parties(session, case.id)
    mine = next((p for p in parties if p.id_index == person.id_number_index), None)
    if mine is None or mine.confirmed_at is not None:
        return await _read(
            session, case, account_id, person.id_number_index
        )  # a retry, or the initiator's own
    now = utcnow()
    if case.status == "awaiting_confirmation" and now > case.confirm_by:
        await saga.case_moved(session, case, "expired")
        raise ConfirmationExpired(
            "确认期限已过，该联办申请已失效", "the time to confirm has passed"
        )
    if case.status != "awaiting_confirmation":
        raise ConfirmationClosed("该联办件已不在待确认状态", f"the case is {case.status}")
    if not await repository.confirm(
        session, case.id, mine.role, account_id=account_id, id_index=person.id_number_index, at=now
    ):
        return await _read(session, case, account_id, person.id_number_index)
    case.form = forms.with_party(bundle, mine.role, case.form, person)
    case.updated_at = now
    await audit.record(
        session,
        audit_context.entry(
            actor_type="person",
            actor_id=str(account_id),
            action="bundle.party_confirmed",
            subject_type="bundle_case",
            subject_id=str(case.id),
            after={"role": mine.role},
        ),
    )
    if await repository.unconfirmed(session, case.id) == 0 and await repository.move_case(
        session, case.id, from_="awaiting_confirmation", to="running", at=now
    ):
        await session.refresh(case)
        await saga.start(session, case, bundle)
    return await _read(session, case, account_id, person.id_number_index)


async def _read(
    session: AsyncSession, case: BundleCase, account_id: uuid.UUID, id_index: str
) -> BundleCaseRead:
    bundle = _bundle(case.bundle_code)
    parties = await repository.parties(session, case.id)
    steps = await repository.steps(session, case.id)
    return BundleCaseRead(
        id=case.id,
        number=case.number,
        bundle_code=case.bundle_code,
        bundle_version=case.bundle_version,
        # A lapse is recorded when someone next tries to confirm; a reader sees it at once.
        status=(
            "expired"
            if case.status == "awaiting_confirmation" and utcnow() > case.confirm_by
            else case.status
        ),
        confirm_by=case.confirm_by,
        created_at=case.created_at,
        parties=[_party(bundle, case, p, account_id, id_index) for p in parties],
        steps=[_step(s) for s in steps],
    )


def _party(
    bundle: Bundle, case: BundleCase, party: CaseParty, account_id: uuid.UUID, id_index: str
) -> PartyRead:
    name = str(case.form.get(forms.name_field(bundle, party.role) or "") or "")
    # The caller's role: theirs once confirmed, or the one the form names them for.
    you = party.account_id == account_id or (
        party.account_id is None and party.id_index == id_index
    )
    return PartyRead(
        role=party.role,
        name=name if you else mask_name(name),
        confirmed=party.confirmed_at is not None,
        confirmed_at=party.confirmed_at,
        you=you,
    )


def _step(step: CaseStep) -> StepRead:
    return StepRead(
        key=step.key,
        service_code=step.service_code,
        unit=step.unit,
        department=step.department_code,
        status=step.status,
        attempts=step.attempts,
        deadline=step.deadline,
        outcome=step.outcome,
        error=step.error,
        updated_at=step.updated_at,
    )


async def clerk_queue(
    session: AsyncSession, staff: Staff, *, status: str, limit: int
) -> list[ClerkStepRead]:
    """The steps of the clerk's department in a status (with_clerk by default), oldest first."""
    rows = await repository.department_steps(session, staff.department_scope, status, limit=limit)
    return [
        ClerkStepRead(
            **_step(step).model_dump(), id=step.id, case_id=step.case_id, case_number=number
        )
        for step, number in rows
    ]


async def clerk_decide(
    session: AsyncSession,
    settings: Settings,
    staff: Staff,
    step_id: uuid.UUID,
    decision: ClerkDecision,
    *,
    audit_context: AuditContext,
) -> ClerkStepRead:
    """A clerk's word on a step of their department waiting for them: retry it, approve it
    (carried out by the clerk; a registration's certificate is issued), or reject it (what
    depends on it does not start). StepNotFound (404) for another department's step;
    StepStatusConflict (409) unless the step waits for a clerk."""
    step = await repository.department_step(session, step_id, staff.department_scope)
    if step is None:
        raise StepNotFound("环节不存在", "no such step in your department")
    if step.status != "with_clerk":
        raise StepStatusConflict("该环节不在待人工处理状态", f"the step is {step.status}")
    case = await repository.case_for_update(session, step.case_id)
    assert case is not None  # the foreign key
    bundle = _bundle(case.bundle_code)
    if decision.action == "retry":
        await saga.retry_by_clerk(session, case, step)
    else:
        session.add(StepCompletion(step_id=step.id, outcome=decision.action, completed_at=utcnow()))
        await session.flush()  # a second decision, however it races, fails here
        if decision.action == "reject":
            await saga.rejected(session, case, bundle, step, decision.reason)
        else:
            result: Done | Referred = await register_by_clerk(session, settings, case, bundle, step)
            outcome = result.outcome if isinstance(result, Done) else {}
            await saga.done(
                session,
                case,
                bundle,
                step,
                {**outcome, "decision": "approved", "approved_by": "clerk"},
            )
    await audit.record(
        session,
        audit_context.entry(
            actor_type="staff",
            actor_id=str(staff.staff_id),
            action=f"bundle.step_{decision.action}",
            subject_type="bundle_step",
            subject_id=str(step.id),
            purpose=decision.reason,
            after={"number": case.number, "step": step.key, "status": step.status},
        ),
    )
    number = case.number
    return ClerkStepRead(
        **_step(step).model_dump(), id=step.id, case_id=case.id, case_number=number
    )
