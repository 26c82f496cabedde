"""HTTP endpoints of e-licenses: issuance, the holder's wallet, reading one, status changes,
the license as a verifiable credential, and the public JWKS and status lists.

A license that is not the caller's, or a number that is no license, is 404 alike; the number
is not checked against a pattern first, since a 422 would tell a malformed number from an
unknown one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from app.audit.dependencies import AuditContextDep
from app.auth.dependencies import (
    AUTH_ERRORS,
    CITIZEN_AUTH_ERRORS,
    CitizenApiPrincipal,
    CurrentPrincipal,
)
from app.certificates import service as certificates
from app.certificates.credential_keys import JWKS_MAX_AGE_SECONDS
from app.certificates.credentials import STATUS_LIST_TTL_SECONDS
from app.certificates.errors import (
    DuplicateSourceRecord,
    InvalidLicense,
    IssuerNotReady,
    LicenseNotFound,
    NotAnIssuer,
    StatusListNotFound,
    TransitionNotAllowed,
)
from app.certificates.jws import MEDIA_TYPE
from app.certificates.lifecycle import Action
from app.certificates.schemas import (
    CredentialJwks,
    LicenseCreate,
    LicenseCredential,
    LicenseRead,
    LicenseRenewal,
    LicenseTransition,
)
from app.config import API_V1
from app.dependencies import SessionDep, SettingsDep
from app.errors import InvalidCursor, error_responses
from app.idempotency.middleware import IDEMPOTENCY_KEY_DOC
from app.kit.pagination import Page

router = APIRouter(prefix=API_V1, tags=["certificates"], responses=error_responses(*AUTH_ERRORS))
# Public, no token: what verifiers of credentials fetch. Included before `router`, so that
# /licenses/jwks is not taken for a license number.
public_router = APIRouter(prefix=API_V1, tags=["certificates"])

LicenseNo = Annotated[
    str,
    Path(
        description="The GB/T 36904 license identifier",
        examples=["1.2.156.3005.2.YYZZ.11370200MA3C5R7Y8J.0000000001.001.K"],
    ),
]
_TRANSITION_ERRORS = error_responses(NotAnIssuer, LicenseNotFound, TransitionNotAllowed)


@public_router.get(
    "/licenses/jwks",
    response_model=CredentialJwks,
    status_code=200,
    summary="The keys of license credentials",
    responses=error_responses(),
)
async def credential_jwks(
    response: Response, session: SessionDep, settings: SettingsDep
) -> CredentialJwks:
    """The JWK Set (ES256, P-256) that verifies license and status-list credentials; public.
    Every key stays published, since a credential is verified for as long as it is valid."""
    response.headers["Cache-Control"] = f"public, max-age={JWKS_MAX_AGE_SECONDS}"
    return await certificates.credential_jwks(session, settings)


@public_router.get(
    "/licenses/status-lists/{list_id}",
    status_code=200,
    summary="A status list credential",
    response_class=Response,
    responses={
        200: {
            "content": {MEDIA_TYPE: {"schema": {"type": "string"}}},
            "description": "The BitstringStatusListCredential as a compact JWS",
        },
        **error_responses(StatusListNotFound),
    },
)
async def status_list(
    list_id: Annotated[str, Path(max_length=64)], session: SessionDep, settings: SettingsDep
) -> Response:
    """A W3C Bitstring Status List credential (`application/vc+jwt`, ES256, `typ` vc+jwt) as it
    is now; public, so that a verifier learns nothing about which license it checks. A list of
    purpose `revocation` has the bits of revoked and cancelled licenses, one of purpose
    `suspension` those of suspended ones. It is valid, and may be cached, for five minutes."""
    token = await certificates.status_list_credential(session, settings, list_id)
    return Response(
        content=token,
        media_type=MEDIA_TYPE,
        headers={"Cache-Control": f"public, max-age={STATUS_LIST_TTL_SECONDS}"},
    )


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
    responses=error_responses(*CITIZEN_AUTH_ERRORS, InvalidCursor),
)
async def list_my_licenses(
    principal: CitizenApiPrincipal,
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
    responses=error_responses(*CITIZEN_AUTH_ERRORS, LicenseNotFound),
)
async def get_license(
    license_no: LicenseNo, principal: CitizenApiPrincipal, session: SessionDep
) -> LicenseRead:
    """One license, for its holder or its issuer; 404 for everyone else."""
    return await certificates.get_license(session, principal, license_no)


@router.get(
    "/licenses/{license_no}/credential",
    response_model=LicenseCredential,
    status_code=200,
    summary="Get a license as a verifiable credential",
    responses=error_responses(*CITIZEN_AUTH_ERRORS, LicenseNotFound),
)
async def get_license_credential(
    license_no: LicenseNo,
    principal: CitizenApiPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> LicenseCredential:
    """The license as a W3C Verifiable Credential 2.0 secured with JOSE: a compact JWS
    (`alg` ES256, `typ` vc+jwt) whose payload is the credential, with `credentialStatus`
    entries in the public revocation and suspension status lists; for its holder or its
    issuer, 404 for everyone else. The holder's ID number appears masked only. Each version
    of a renewed license has its own credential."""
    return await certificates.license_credential(session, settings, principal, license_no)


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
