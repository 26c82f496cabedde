"""HTTP endpoints of e-licenses: issuance, the holder's wallet, reading one, status changes.

A license that is not the caller's, or a number that is no license, is 404 alike; the number
is not checked against a pattern first, since a 422 would tell a malformed number from an
unknown one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from app.audit.dependencies import AuditContextDep
from app.auth.dependencies import AUTH_ERRORS, CurrentPrincipal
from app.certificates import service as certificates
from app.certificates.errors import (
    DuplicateSourceRecord,
    InvalidLicense,
    IssuerNotReady,
    LicenseNotFound,
    NotAnIssuer,
    TransitionNotAllowed,
)
from app.certificates.lifecycle import Action
from app.certificates.schemas import LicenseCreate, LicenseRead, LicenseRenewal, LicenseTransition
from app.config import API_V1
from app.dependencies import SessionDep, SettingsDep
from app.errors import InvalidCursor, error_responses
from app.idempotency.middleware import IDEMPOTENCY_KEY_DOC
from app.kit.pagination import Page

router = APIRouter(prefix=API_V1, tags=["certificates"], responses=error_responses(*AUTH_ERRORS))

LicenseNo = Annotated[
    str,
    Path(
        description="The GB/T 36904 license identifier",
        examples=["1.2.156.3005.2.YYZZ.11370200MA3C5R7Y8J.0000000001.001.K"],
    ),
]
_TRANSITION_ERRORS = error_responses(NotAnIssuer, LicenseNotFound, TransitionNotAllowed)


@router.post(
    "/licenses",
    openapi_extra=IDEMPOTENCY_KEY_DOC,
    response_model=LicenseRead,
    status_code=status.HTTP_201_CREATED,
    summary="Issue a license",
    responses=error_responses(NotAnIssuer, InvalidLicense, DuplicateSourceRecord, IssuerNotReady),
)
async def issue_license(
    data: LicenseCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    audit: AuditContextDep,
) -> LicenseRead:
    """Issue an e-license (签发电子证照) of the caller's department: department systems with the
    scope `licenses:issue`, or its clerks and department admins.

    The fields must be exactly the type's fields; the validity runs from today for the type's
    term unless given. The holder's ID number is stored encrypted and shown masked.
    """
    return await certificates.issue_license(session, settings, principal, data, audit_context=audit)


@router.get(
    "/me/licenses",
    response_model=Page[LicenseRead],
    status_code=200,
    summary="List my licenses",
    responses=error_responses(InvalidCursor),
)
async def list_my_licenses(
    principal: CurrentPrincipal,
    session: SessionDep,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[LicenseRead]:
    """The wallet (证照夹): the signed-in citizen's licenses, or with a token acting for an
    enterprise the enterprise's; newest first, without the versions a renewal replaced."""
    return await certificates.wallet(session, principal, cursor=cursor, limit=limit)


@router.get(
    "/licenses/{license_no}",
    response_model=LicenseRead,
    status_code=200,
    summary="Get a license",
    responses=error_responses(LicenseNotFound),
)
async def get_license(
    license_no: LicenseNo, principal: CurrentPrincipal, session: SessionDep
) -> LicenseRead:
    """One license, for its holder or its issuer; 404 for everyone else."""
    return await certificates.get_license(session, principal, license_no)


async def _transition(
    action: Action,
    license_no: str,
    data: LicenseTransition,
    principal: CurrentPrincipal,
    session: SessionDep,
    audit: AuditContextDep,
) -> LicenseRead:
    return await certificates.change_license_status(
        session, principal, license_no, action, reason=data.reason, audit_context=audit
    )


@router.post(
    "/licenses/{license_no}/suspend",
    response_model=LicenseRead,
    status_code=200,
    summary="Suspend a license",
    responses=_TRANSITION_ERRORS,
)
async def suspend_license(
    license_no: LicenseNo,
    data: LicenseTransition,
    principal: CurrentPrincipal,
    session: SessionDep,
    audit: AuditContextDep,
) -> LicenseRead:
    """Suspend (暂扣) a valid license; `reinstate` undoes it."""
    return await _transition(Action.SUSPEND, license_no, data, principal, session, audit)


@router.post(
    "/licenses/{license_no}/reinstate",
    response_model=LicenseRead,
    status_code=200,
    summary="Reinstate a suspended license",
    responses=_TRANSITION_ERRORS,
)
async def reinstate_license(
    license_no: LicenseNo,
    data: LicenseTransition,
    principal: CurrentPrincipal,
    session: SessionDep,
    audit: AuditContextDep,
) -> LicenseRead:
    """Reinstate (恢复) a suspended license."""
    return await _transition(Action.REINSTATE, license_no, data, principal, session, audit)


@router.post(
    "/licenses/{license_no}/revoke",
    response_model=LicenseRead,
    status_code=200,
    summary="Revoke a license",
    responses=_TRANSITION_ERRORS,
)
async def revoke_license(
    license_no: LicenseNo,
    data: LicenseTransition,
    principal: CurrentPrincipal,
    session: SessionDep,
    audit: AuditContextDep,
) -> LicenseRead:
    """Revoke (撤销/吊销) a valid or suspended license; final."""
    return await _transition(Action.REVOKE, license_no, data, principal, session, audit)


@router.post(
    "/licenses/{license_no}/cancel",
    response_model=LicenseRead,
    status_code=200,
    summary="Cancel a license",
    responses=_TRANSITION_ERRORS,
)
async def cancel_license(
    license_no: LicenseNo,
    data: LicenseTransition,
    principal: CurrentPrincipal,
    session: SessionDep,
    audit: AuditContextDep,
) -> LicenseRead:
    """Cancel (注销) a valid, suspended or expired license, e.g. when the holder gives it up;
    final."""
    return await _transition(Action.CANCEL, license_no, data, principal, session, audit)


@router.post(
    "/licenses/{license_no}/renew",
    response_model=LicenseRead,
    status_code=status.HTTP_201_CREATED,
    summary="Renew a license",
    responses=error_responses(NotAnIssuer, LicenseNotFound, TransitionNotAllowed, InvalidLicense),
)
async def renew_license(
    license_no: LicenseNo,
    data: LicenseRenewal,
    principal: CurrentPrincipal,
    session: SessionDep,
    audit: AuditContextDep,
) -> LicenseRead:
    """Renew (换证/延续) a valid or expired license: the answer is its next version, with a new
    identifier and validity; the renewed version becomes `superseded`."""
    return await certificates.renew_license(
        session, principal, license_no, data, audit_context=audit
    )
