"""The applications domain's logic; other domains call only this module.

Submission checks who applies (a real-name verified person, for themselves or for the
enterprise they act for), the form against the service's schema and the real-name level the
service asks for, numbers the case, sets its statutory deadline, and hands it on: to the rules
for a 秒批 (`auto`) service (decisions.py), to the clerks otherwise.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.service import Actor
from app.audit import service as audit
from app.audit.schemas import AuditContext
from app.auth import service as auth
from app.auth.errors import RealnameLevelRequired
from app.auth.principals import Principal
from app.auth.schemas import VerifiedPerson
from app.config import Settings
from app.kit import pagination
from app.kit.clock import utcnow
from app.kit.ids import new_id
from app.kit.pagination import Page
from app.services.applications import (
    answers,
    clerks,
    deadlines,
    decisions,
    forms,
    materials,
    offered,
    outcomes,
    prefill,
    repository,
    scopes,
    transitions,
)
from app.services.applications.errors import (
    ApplicationNotFound,
    InvalidApplication,
    NotAnApplicant,
    OpenCaseExists,
    PayeeNotAllowed,
)
from app.services.applications.models import Application
from app.services.applications.schemas import (
    ApplicationCreate,
    ApplicationRead,
    ApplicationSummary,
    Supplement,
)
from app.services.applications.schemas_prefill import PrefillRead
from app.services.applications.status import Status
from app.services.catalog import service as catalog
from app.services.catalog.errors import ServiceNotFound
from app.services.catalog.schemas import ServiceDetail


def _applicant(principal: Principal) -> tuple[uuid.UUID, str | None]:
    if principal.kind != "person":
        raise NotAnApplicant("办件须由群众本人或代表企业的经办人提交", "only people apply")
    return uuid.UUID(principal.id), principal.enterprise


async def _service(session: AsyncSession, code: str) -> ServiceDetail:
    try:
        return await catalog.cached_service(session, code)
    except ServiceNotFound as exc:
        raise InvalidApplication(
            f"服务事项 {code} 不存在",
            f"there is no service {code!r}",
            extra={"invalid_params": [{"name": "body.service_code", "reason": "unknown"}]},
        ) from exc


def _check_audience(service: ServiceDetail, uscc: str | None) -> None:
    if service.audience == "enterprise" and uscc is None:
        raise InvalidApplication(
            "该事项须以企业身份申请，请先代表企业登录",
            "this service is for enterprises: act for the enterprise first",
        )
    if service.audience == "person" and uscc is not None:
        raise InvalidApplication(
            "该事项须以个人身份申请", "this service is for persons, not for an enterprise"
        )


# Fields a form may not carry for a service that pays money: the payee is the card the paying
# department holds for the account (DESIGN §2, principle 9), never one the applicant names.
PAYEE_FIELDS = ("hpf_account", "bank_name", "bank_account", "payee_account", "payee_name")
# A case still `submitted` this long after it was filed was cut off before its decision (a
# crash): the next submission hands it to a clerk rather than leave it open for ever.
INTERRUPTED_AFTER = timedelta(minutes=5)
# A filing that meets an open case decided a moment later tries again, this many times in all.
FILING_ATTEMPTS = 3

today = deadlines.today


async def submit(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    data: ApplicationCreate,
    *,
    audit_context: AuditContext,
    received_at: float | None = None,
) -> ApplicationRead:
    """Submit an application; for a 秒批 service the decision is in the answer, within the
    deadline counted from `received_at` (time.monotonic() when the request arrived; now if
    None). One open case per applicant and service: another is 409 naming it."""
    answer_by = (received_at or time.monotonic()) + settings.approval_deadline_seconds
    account_id, uscc = _applicant(principal)
    service = await _service(session, data.service_code)
    _check_audience(service, uscc)
    person = await auth.verified_person(session, settings, account_id)
    if person.realname_level < service.realname_level:
        raise RealnameLevelRequired(
            f"该事项须达到实名等级 L{service.realname_level}",
            f"this service needs real-name level L{service.realname_level}",
        )
    day, now = today(), utcnow()
    application = Application(
        id=new_id(),
        number="",
        service_code=service.code,
        department_code=service.department.code,
        mode=service.mode,
        applicant_account_id=account_id,
        applicant_uscc=uscc,
        form=data.form,
        materials=[],
        status=Status.SUBMITTED,
        deadline=deadlines.for_submission(settings, service, day),
        decision=None,
        license_no=None,
        claimed_by=None,
        claim_expires_at=None,
        submitted_at=now,
        decided_at=None,
        updated_at=now,
    )
    application.open_key = transitions.open_key(application)
    plan = await decisions.plan(session, application, service, person, day)
    _check_form(service, person, uscc, data.form)
    application.materials = await materials.resolve(
        session, service, principal=principal, person=person, given=data.materials
    )
    # Nothing may be held while the departments answer (up to the deadline): the reads so far
    # end here, the number is taken in a moment of its own (between the transactions, on the
    # session's connection: a second one, taken while holding the first, would let a burst
    # the size of the pool wait on itself), and the case is filed (committed, `submitted`)
    # before the departments are asked, so that a second submission meets it.
    await session.commit()
    application.number = f"{day:%Y%m%d}{await repository.next_sequence(session, day):06d}"
    await _file(session, application)
    subjects = [person.id_number] + ([uscc] if uscc is not None else [])
    outcome = outcomes.catalog_outcome(service) if plan.ruleset is None else None
    proving = materials.pending_datasets(application.materials)
    scope = scopes.scope_of(plan.ruleset, outcome, subjects, proving)
    scopes.remember(application.number, scope)
    decided = await decisions.evaluate_case(
        session, settings, application, person, service, plan, on=day, answer_by=answer_by
    )
    await decisions.record_first_decision(
        session, settings, application, service, person, plan, decided, on=day,
        audit_context=audit_context,
    )  # fmt: skip
    # The case is this session's own: its timeline is what the session added, not a query.
    timeline = repository.kept_timeline(session, application.id)
    answer = await answers.read(session, application, service, timeline=timeline)
    # Audited last and committed at once: with inline sealing (SQLite) the audit chain's head
    # is locked from the append to the commit, and every submission waits for it. Nothing may
    # come between them — not the departments' answers, not a query, not building the answer
    # (each await is a turn of an event loop that other requests keep busy, and the lock would
    # be held through it). Deferred sealing (PostgreSQL) takes no lock here at all.
    await audit.record(
        session,
        audit_context.entry(
            actor_type="person", actor_id=str(account_id), action="application.submitted",
            subject_type="application", subject_id=str(application.id),
            after={"service": service.code, "number": application.number},
        ),
    )  # fmt: skip
    await session.commit()
    return answer


async def _file(session: AsyncSession, application: Application) -> None:
    """Commit the case as `submitted`; OpenCaseExists (409) when the applicant already has an
    open case of the service (the database decides, however submissions race)."""
    assert application.open_key is not None
    for _ in range(FILING_ATTEMPTS):
        repository.keep_timeline(session, application.id)
        await repository.add(
            session, application,
            transitions.event(application, None, "citizen", str(application.applicant_account_id)),
        )  # fmt: skip
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()
        else:
            return
        existing = await repository.open_case(
            session, application.service_code, application.open_key
        )
        if existing is not None:
            await _interrupted(session, existing)
            raise OpenCaseExists(
                f"该事项已有办理中的申请（办件号 {existing.number}），请勿重复提交",
                f"application {existing.number} for this service is still open",
                extra={"open_case": {"id": str(existing.id), "number": existing.number,
                                     "status": existing.status}},
            )  # fmt: skip
        # The open case was decided between the two statements: file this one again.
    raise OpenCaseExists("该事项的申请正在办理，请稍后再试", "another application is being filed")


async def _interrupted(session: AsyncSession, existing: Application) -> None:
    """Hand to a clerk a case cut off before its decision (still `submitted` long after)."""
    if existing.status == Status.SUBMITTED and existing.submitted_at < utcnow() - INTERRUPTED_AFTER:
        await transitions.move(session, existing, Status.PENDING_REVIEW, actor_type="system",
                               actor_id="intake", note="自动审批中断，转人工审核")  # fmt: skip
        await session.commit()


async def get(session: AsyncSession, principal: Principal, application_id: str) -> ApplicationRead:
    """One of the caller's applications; ApplicationNotFound (404) for anyone else's."""
    account_id, uscc = _applicant(principal)
    application = await _owned(session, application_id, account_id, uscc)
    return await answers.read(
        session, application, await catalog.cached_service(session, application.service_code)
    )


async def _owned(
    session: AsyncSession,
    application_id: str,
    account_id: uuid.UUID,
    uscc: str | None,
    *,
    for_update: bool = False,
) -> Application:
    try:
        parsed = uuid.UUID(application_id)
    except ValueError:
        parsed = None
    application = (
        await repository.applicants_application(
            session, parsed, account_id, uscc, for_update=for_update
        )
        if parsed is not None
        else None
    )
    if application is None:
        raise ApplicationNotFound("未找到该办件", "no such application")
    return application


async def list_mine(
    session: AsyncSession, principal: Principal, *, cursor: str | None, limit: int
) -> Page[ApplicationSummary]:
    """The caller's applications (or the enterprise's, acting for it), newest first."""
    account_id, uscc = _applicant(principal)
    before = pagination.decode_id_cursor(cursor)
    rows = await repository.applicants_applications(
        session, account_id, uscc, before=before, limit=limit + 1
    )
    page = rows[:limit]
    services: dict[str, ServiceDetail] = {}
    items = []
    for row in page:
        if row.service_code not in services:
            services[row.service_code] = await catalog.cached_service(session, row.service_code)
        items.append(
            ApplicationSummary(
                id=row.id,
                number=row.number,
                service=answers.service_ref(services[row.service_code]),
                status=row.status,
                deadline=row.deadline,
                submitted_at=row.submitted_at,
            )
        )
    next_cursor = pagination.encode_cursor([str(page[-1].id)]) if len(rows) > limit else None
    return Page[ApplicationSummary](items=items, next_cursor=next_cursor)


async def withdraw(
    session: AsyncSession,
    principal: Principal,
    application_id: str,
    reason: str | None,
    *,
    audit_context: AuditContext,
) -> ApplicationRead:
    """The applicant withdraws a case still waiting (for a clerk, or for their supplement)."""
    account_id, uscc = _applicant(principal)
    application = await _owned(session, application_id, account_id, uscc, for_update=True)
    await transitions.move(session, application, Status.WITHDRAWN, actor_type="citizen",
               actor_id=str(account_id), note=reason)  # fmt: skip
    answer = await answers.read(
        session, application, await catalog.cached_service(session, application.service_code)
    )
    await audit.record(  # last: see submit
        session,
        audit_context.entry(
            actor_type="person", actor_id=str(account_id), action="application.withdrawn",
            subject_type="application", subject_id=str(application.id),
        ),
    )  # fmt: skip
    return answer


def _check_form(
    service: ServiceDetail,
    person: VerifiedPerson,
    uscc: str | None,
    form: dict[str, Any],
) -> None:
    """The form names no payee of a payment, fits the service's schema, and its
    government-verified fields are the verified values (prefill locks them; the server checks,
    DESIGN §2 principle 3)."""
    # Every withdrawal (提取) pays out of the fund, whoever decides it.
    pays = service.code.startswith(outcomes.WITHDRAWAL_PREFIX)
    payees = [name for name in PAYEE_FIELDS if name in form] if pays else []
    if payees:
        raise PayeeNotAllowed(
            "款项只支付至公积金中心为账户登记的银行卡，请勿填写收款账户",
            "the fund centre pays the card bound to the account: the form names no account",
            extra={"invalid_params": [
                {"name": f"body.form.{name}", "reason": "paid_to_account_on_record"}
                for name in payees
            ]},
        )  # fmt: skip
    forms.check_form(service.form_schema, form)
    prefill.check_locked_fields(
        prefill.Identity.of(person, uscc, phone=person.phone), form, service.code
    )


async def supplement(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    application_id: str,
    data: Supplement,
    *,
    audit_context: AuditContext,
) -> ApplicationRead:
    """The applicant answers a supplement request: the form, changed, is checked again."""
    account_id, uscc = _applicant(principal)
    application = await _owned(session, application_id, account_id, uscc, for_update=True)
    service = await catalog.cached_service(session, application.service_code)
    form = {**application.form, **data.form}
    person = await auth.verified_person(session, settings, account_id)
    _check_form(service, person, uscc, form)
    await transitions.move(session, application, Status.RESUBMITTED, actor_type="citizen",
                           actor_id=str(account_id))  # fmt: skip
    application.form = form
    if data.materials:
        application.materials = await materials.resolve(
            session, service, principal=principal, person=person, given=data.materials,
            kept=application.materials,
        )  # fmt: skip
    answer = await answers.read(session, application, service)
    await audit.record(  # last: see submit
        session,
        audit_context.entry(
            actor_type="person", actor_id=str(account_id), action="application.resubmitted",
            subject_type="application", subject_id=str(application.id),
        ),
    )  # fmt: skip
    return answer


# The clerks' side, for the review routes: other domains still call only this module.
review_queue = clerks.review_queue
review_case = clerks.review_case
claim_case = clerks.claim_case
decide_case = clerks.decide_case


async def prefill_form(
    session: AsyncSession, settings: Settings, principal: Principal, service_code: str
) -> PrefillRead:
    """A service's form as prefill fills it for the signed-in applicant (a bundle's merged form
    takes its fields from here); ServiceNotFound (404) for an unknown service."""
    return await prefill.prefill(session, settings, principal, service_code)


async def prefill_on_behalf(
    session: AsyncSession,
    settings: Settings,
    account_id: uuid.UUID,
    service_code: str,
    *,
    actor: Actor,
) -> PrefillRead:
    """A person's prefilled form for a service, opened by a counter clerk on their behalf
    (the city code's verification authorised it); ServiceNotFound (404) for an unknown one."""
    return await prefill.prefill_on_behalf(session, settings, account_id, service_code, actor=actor)


async def refresh_search_popularity(session: AsyncSession) -> int:
    """Give the catalog's search the applications filed per service, its tiebreak; returns how
    many services have been applied for. Cheap enough to run from cron every night."""
    return await catalog.record_popularity(session, await repository.filed_by_service(session))


# Renewals the platform offers (无感审批, app/proactive/offers): the scan's evaluation and the
# case an accepted offer files (offered.py).
assess_renewal = offered.assess_renewal
file_renewal = offered.file_renewal
note_case = offered.note_case
