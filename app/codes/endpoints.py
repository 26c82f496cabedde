"""HTTP endpoints of the city code (一码通城): the person's code, and its verification."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from app.audit.dependencies import AuditContextDep
from app.auth.dependencies import AUTH_ERRORS, CITIZEN_AUTH_ERRORS, CurrentCitizen, RequireStaff
from app.auth.errors import RealnameLevelRequired, RoleRequired
from app.auth.models import StaffRole
from app.auth.principals import Staff
from app.codes import service as codes
from app.codes.dependencies import CodeVerifier
from app.codes.errors import (
    CodeAlreadyUsed,
    CodeExpired,
    InvalidCode,
    InvalidTicket,
    PurposeNotForVerifier,
    TooManyCodes,
    UnknownPurpose,
)
from app.codes.schemas import (
    CityCodeRead,
    CodePurposeRead,
    CodeVerification,
    CodeVerificationRead,
    OnBehalfPrefill,
)
from app.config import API_V1
from app.dependencies import SessionDep, SettingsDep
from app.errors import error_responses
from app.kit import qr
from app.services.applications.schemas_prefill import PrefillRead
from app.services.catalog.errors import ServiceNotFound

router = APIRouter(prefix=API_V1, tags=["codes"])
ClerkDep = Annotated[Staff, Depends(RequireStaff(StaffRole.CLERK))]

_QR_IMAGES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The QR image of a fresh code",
        "content": {
            media_type: {"schema": {"type": "string", "format": "binary"}}
            for media_type in qr.MEDIA_TYPES.values()
        },
    }
}


@router.get(
    "/me/code",
    response_model=CityCodeRead,
    status_code=200,
    summary="Get my city code",
    responses=error_responses(*CITIZEN_AUTH_ERRORS, RealnameLevelRequired, TooManyCodes),
)
async def my_code(
    citizen: CurrentCitizen, session: SessionDep, settings: SettingsDep, response: Response
) -> CityCodeRead:
    """A fresh city code (一码通城) standing for the person's e-ID, social-security card and
    health status: a signed code that lives QE_CITY_CODE_SECONDS (60 s by default) and is good
    for one verification. Anyone can check offline that it is genuine and live with the keys of
    `jwks_uri`; what it stands for only a verifier with a purpose learns, from
    POST /api/v1/codes/verify. Real-name level L2 is needed; at most QE_CITY_CODES_PER_MINUTE
    codes a minute (429 with Retry-After beyond)."""
    response.headers["Cache-Control"] = "no-store"
    return await codes.issue(session, settings, citizen)


@router.get(
    "/me/code/qr",
    status_code=200,
    response_class=Response,
    summary="Get my city code as a QR image",
    responses={
        **_QR_IMAGES,
        **error_responses(*CITIZEN_AUTH_ERRORS, RealnameLevelRequired, TooManyCodes),
    },
)
async def my_code_qr(
    citizen: CurrentCitizen,
    session: SessionDep,
    settings: SettingsDep,
    image_format: Annotated[
        qr.QrFormat, Query(alias="format", description="`png` (default) or `svg`")
    ] = "png",
) -> Response:
    """A fresh city code (as GET /api/v1/me/code) as a QR image, PNG or SVG, for the person's
    screen; each image is a new code. `Expires` says when it ends."""
    issued = await codes.issue(session, settings, citizen)
    image = await asyncio.to_thread(qr.render, issued.code, image_format)
    expires = issued.expires_at.strftime("%a, %d %b %Y %H:%M:%S GMT")
    headers = {"Cache-Control": "no-store", "Expires": expires}
    return Response(image, media_type=qr.MEDIA_TYPES[image_format], headers=headers)


@router.get(
    "/codes/purposes",
    response_model=list[CodePurposeRead],
    status_code=200,
    summary="List the purposes a city code is verified for",
    responses=error_responses(),
)
async def code_purposes() -> list[CodePurposeRead]:
    """Public: every purpose a verifier may state, who may state it (`staff`: a clerk signed in;
    `client`: a system with the scope `code.verify`) and the attributes it shows."""
    return codes.purposes()


@router.post(
    "/codes/verify",
    response_model=CodeVerificationRead,
    status_code=200,
    summary="Verify a city code",
    responses=error_responses(
        *AUTH_ERRORS,
        RoleRequired,
        InvalidCode,
        CodeExpired,
        CodeAlreadyUsed,
        UnknownPurpose,
        PurposeNotForVerifier,
        RealnameLevelRequired,
    ),
)
async def verify_code(
    data: CodeVerification,
    verifier: CodeVerifier,
    session: SessionDep,
    settings: SettingsDep,
    audit: AuditContextDep,
) -> CodeVerificationRead:
    """Verify a scanned city code for a stated `purpose` and get only the attributes that
    purpose allows (GET /api/v1/codes/purposes): name and masked ID number at a counter,
    medical-insurance entitlement at a hospital, and so on. For a clerk signed in (role
    clerk) or a system whose client-credentials token carries `code.verify`; a person's token
    is 403.

    A code is good once: a second verification, however close, is 409 `codes.already_used`; an
    expired one is 422 `codes.expired`; anything not signed by the platform (garbled, forged,
    another algorithm or type) is 422 `codes.invalid`. The verification, and every department
    read it makes, appear in the person's data-access log under `city-code:<purpose>` with
    the verifier's id. A clerk verifying for a purpose that allows it (`counter`) also gets a
    single-use `on_behalf` ticket to open the person's prefilled form."""
    return await codes.verify(session, settings, verifier, data, audit_context=audit)


@router.post(
    "/codes/on-behalf/prefill",
    response_model=PrefillRead,
    status_code=200,
    summary="Open a person's prefilled form at a counter",
    responses=error_responses(*AUTH_ERRORS, RoleRequired, InvalidTicket, ServiceNotFound),
)
async def prefill_on_behalf(
    data: OnBehalfPrefill,
    clerk: ClerkDep,
    session: SessionDep,
    settings: SettingsDep,
    audit: AuditContextDep,
) -> PrefillRead:
    """The prefilled form of a service for the person whose city code the clerk has just
    verified at a counter, with the verification's `on_behalf.ticket`: by that clerk only,
    once, before the ticket's `expires_at` (422 `codes.invalid_ticket` otherwise). The same
    form as the person's own GET /api/v1/services/{code}/prefill; the department reads it makes
    are logged for the person under the clerk's id, and the opening is audited."""
    return await codes.prefill_on_behalf(
        session, settings, clerk.staff_id, data.ticket, data.service_code, audit_context=audit
    )
