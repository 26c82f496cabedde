"""HTTP endpoints of applications: submit (with the 秒批 decision in the answer), list, read,
withdraw. Another person's application is 404, like one that does not exist."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from app.audit.dependencies import AuditContextDep
from app.auth.dependencies import CITIZEN_AUTH_ERRORS, CitizenApiPrincipal
from app.auth.errors import RealnameLevelRequired
from app.config import API_V1
from app.dependencies import ReceivedAtDep, SessionDep, SettingsDep
from app.errors import InvalidCursor, error_responses
from app.idempotency.middleware import IDEMPOTENCY_KEY_DOC
from app.kit.pagination import Page
from app.services.applications import service as applications
from app.services.applications.errors import (
    ApplicationNotFound,
    InvalidApplication,
    NotAnApplicant,
    StatusConflict,
)
from app.services.applications.schemas import (
    ApplicationCreate,
    ApplicationRead,
    ApplicationSummary,
    Supplement,
    WithdrawRequest,
)

router = APIRouter(
    prefix=API_V1, tags=["applications"], responses=error_responses(*CITIZEN_AUTH_ERRORS)
)
ApplicationId = Annotated[str, Path(max_length=64, description="The application's id")]


@router.post(
    "/applications",
    openapi_extra=IDEMPOTENCY_KEY_DOC,
    response_model=ApplicationRead,
    status_code=status.HTTP_201_CREATED,
    summary="Submit an application",
    responses=error_responses(
        *CITIZEN_AUTH_ERRORS, InvalidApplication, NotAnApplicant, RealnameLevelRequired
    ),
)
async def submit_application(
    data: ApplicationCreate,
    principal: CitizenApiPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    audit: AuditContextDep,
    received_at: ReceivedAtDep,
) -> ApplicationRead:
    """Submit an application (申请办理) for a service, as a citizen or acting for an
    enterprise. The form is checked against the service's schema. For a 秒批 service the
    answer carries the decision: `approved`, or `pending_review` with every reason; other
    services go to the department's clerks (`pending_review`). One open case per applicant and
    service: another submission while one is open is 409 naming it. A withdrawal's form names
    no account to pay (the fund centre pays the card it holds: 422 otherwise). Send an
    `Idempotency-Key`: a retry returns the first answer and never files a second case."""
    return await applications.submit(
        session, settings, principal, data, audit_context=audit, received_at=received_at
    )


@router.get(
    "/applications",
    response_model=Page[ApplicationSummary],
    status_code=200,
    summary="List my applications",
    responses=error_responses(*CITIZEN_AUTH_ERRORS, NotAnApplicant, InvalidCursor),
)
async def list_applications(
    principal: CitizenApiPrincipal,
    session: SessionDep,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[ApplicationSummary]:
    """The caller's applications, newest first (acting for an enterprise: the enterprise's)."""
    return await applications.list_mine(session, principal, cursor=cursor, limit=limit)


@router.get(
    "/applications/{application_id}",
    response_model=ApplicationRead,
    status_code=200,
    summary="Get an application",
    responses=error_responses(*CITIZEN_AUTH_ERRORS, NotAnApplicant, ApplicationNotFound),
)
async def get_application(
    application_id: ApplicationId, principal: CitizenApiPrincipal, session: SessionDep
) -> ApplicationRead:
    """One application with its decision and timeline; 404 for anyone but its applicant."""
    return await applications.get(session, principal, application_id)


@router.post(
    "/applications/{application_id}/withdraw",
    response_model=ApplicationRead,
    status_code=200,
    summary="Withdraw an application",
    responses=error_responses(
        *CITIZEN_AUTH_ERRORS, NotAnApplicant, ApplicationNotFound, StatusConflict
    ),
)
async def withdraw_application(
    application_id: ApplicationId,
    data: WithdrawRequest,
    principal: CitizenApiPrincipal,
    session: SessionDep,
    audit: AuditContextDep,
) -> ApplicationRead:
    """Withdraw (撤回) an application still waiting for a clerk or for a supplement; 409
    once it is decided or being reviewed."""
    return await applications.withdraw(
        session, principal, application_id, data.reason, audit_context=audit
    )


@router.post(
    "/applications/{application_id}/supplement",
    response_model=ApplicationRead,
    status_code=200,
    summary="Answer a supplement request",
    responses=error_responses(
        *CITIZEN_AUTH_ERRORS,
        NotAnApplicant,
        ApplicationNotFound,
        StatusConflict,
        InvalidApplication,
    ),
)
async def supplement_application(
    application_id: ApplicationId,
    data: Supplement,
    principal: CitizenApiPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    audit: AuditContextDep,
) -> ApplicationRead:
    """Answer the clerk's supplement request (补正): change the form fields asked for; the
    whole form is checked again and the case returns to the clerks as `resubmitted`."""
    return await applications.supplement(
        session, settings, principal, application_id, data, audit_context=audit
    )
