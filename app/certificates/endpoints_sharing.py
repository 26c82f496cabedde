"""HTTP endpoints of shares (用证授权) and of public license verification."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response, status

from app.audit.dependencies import AuditContextDep, audit_context_of
from app.auth.dependencies import AUTH_ERRORS, CITIZEN_AUTH_ERRORS, CitizenApiPrincipal
from app.certificates import service_sharing as certificates
from app.certificates.endpoints_licenses import LicenseNo
from app.certificates.errors import (
    InvalidShare,
    LicenseNotFound,
    ShareNotAllowed,
    ShareNotFound,
    TooManyVerifications,
)
from app.certificates.schemas import (
    LicenseVerification,
    ShareCreate,
    ShareRead,
    VerificationRequest,
)
from app.config import API_V1
from app.dependencies import (
    OptionalPrincipalDep,
    SessionDep,
    SettingsDep,
    batched_limiter_of,
    database_of_request,
    settings_of,
)
from app.errors import InvalidCursor, error_responses
from app.kit import qr
from app.kit.pagination import Page

# The holder's side: every route of this router is of the citizen API.
router = APIRouter(
    prefix=API_V1, tags=["certificates"], responses=error_responses(*CITIZEN_AUTH_ERRORS)
)
# Public; included before the licenses' router, so that /licenses/verify is not taken for a
# license number.
public_router = APIRouter(prefix=API_V1, tags=["certificates"])


def _json(answer: LicenseVerification) -> Response:
    # The answer is built as the response model already; FastAPI would validate it once more.
    return Response(answer.model_dump_json(), media_type="application/json")


_VERIFY_DOC = """Verify a license (证照核验): public, no sign-in needed, rate-limited per client
address (QE_LICENSE_VERIFY_RATE_LIMIT a minute; 429 with Retry-After beyond it).

Present exactly one of: a license `credential` (vc+jwt, checked against the published keys
and the license's status now); a `share_token` from the holder's QR code (shows the fields the
holder chose, and the verification appears in the holder's data-access log); or a `license_no`
with the `holder_name` (shows validity, type, issuer and holder's name, no fields).

The answer is `valid` or `invalid` with reasons. An unknown number, a wrong name, a forged
credential or a garbled token all read `invalid` with the single reason `unknown`. A signed-in
caller (a partner with a bearer token) is named in the holder's log; others are anonymous."""


@public_router.post(
    "/licenses/verify",
    response_model=LicenseVerification,
    status_code=200,
    summary="Verify a license",
    responses=error_responses(TooManyVerifications, *AUTH_ERRORS),
    description=_VERIFY_DOC,
)
async def verify_license(
    data: VerificationRequest, verifier: OptionalPrincipalDep, request: Request
) -> Response:
    # The database, the limiter, the settings and the audit context are read off the request,
    # not injected: each dependency FastAPI resolves costs this route a few percent of its CPU.
    answer = await certificates.verify_license(
        database_of_request(request),
        batched_limiter_of(request),
        settings_of(request),
        data,
        verifier=verifier,
        audit_context=audit_context_of(request),
    )
    return _json(answer)


@public_router.get(
    "/licenses/verify",
    response_model=LicenseVerification,
    status_code=200,
    summary="Verify a share from its QR code",
    responses=error_responses(TooManyVerifications, *AUTH_ERRORS),
)
async def verify_share(
    share_token: Annotated[str, Query(max_length=200, description="The token in the QR code")],
    verifier: OptionalPrincipalDep,
    request: Request,
) -> LicenseVerification:
    """What a scanner opens from a share's QR code: the same as posting the `share_token`."""
    return await certificates.verify_license(
        database_of_request(request),
        batched_limiter_of(request),
        settings_of(request),
        VerificationRequest(share_token=share_token),
        verifier=verifier,
        audit_context=audit_context_of(request),
    )


@router.post(
    "/licenses/{license_no}/shares",
    response_model=ShareRead,
    status_code=status.HTTP_201_CREATED,
    summary="Share a license",
    responses=error_responses(LicenseNotFound, ShareNotAllowed, InvalidShare),
)
async def share_license(
    license_no: LicenseNo,
    data: ShareCreate,
    principal: CitizenApiPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    audit: AuditContextDep,
) -> ShareRead:
    """Share (用证授权) a valid license the caller holds, as a citizen or acting for the
    enterprise: for a stated purpose, showing only the chosen fields, until `expires_at`. The
    answer carries the token and the QR payload to show the verifier; 404 for a license the
    caller does not hold (its issuer included)."""
    return await certificates.share_license(
        session, settings, principal, license_no, data, audit_context=audit
    )


@router.get(
    "/licenses/{license_no}/shares",
    response_model=Page[ShareRead],
    status_code=200,
    summary="List a license's shares",
    responses=error_responses(LicenseNotFound, InvalidCursor),
)
async def list_shares(
    license_no: LicenseNo,
    principal: CitizenApiPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[ShareRead]:
    """The shares of a license the caller holds, newest first, revoked and expired included."""
    return await certificates.license_shares(
        session, settings, principal, license_no, cursor=cursor, limit=limit
    )


_QR_IMAGES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The QR image",
        "content": {
            media_type: {"schema": {"type": "string", "format": "binary"}}
            for media_type in qr.MEDIA_TYPES.values()
        },
    }
}


@router.get(
    "/licenses/{license_no}/shares/{share_id}/qr",
    status_code=200,
    response_class=Response,
    summary="Get a share's QR image",
    responses={**_QR_IMAGES, **error_responses(LicenseNotFound, ShareNotFound)},
)
async def share_qr(
    license_no: LicenseNo,
    share_id: Annotated[str, Path(max_length=64)],
    principal: CitizenApiPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    image_format: Annotated[
        qr.QrFormat, Query(alias="format", description="`png` (default) or `svg`")
    ] = "png",
) -> Response:
    """The QR image of a share's `qr_payload`, as PNG or SVG, for the holder to show: a
    scanner opens the verification address in it. Rendered on request and never cached (the
    payload is the holder's consent, so the image is `Cache-Control: no-store`)."""
    image = await certificates.share_qr(
        session, settings, principal, license_no, share_id, image_format
    )
    return Response(
        image, media_type=qr.MEDIA_TYPES[image_format], headers={"Cache-Control": "no-store"}
    )


@router.delete(
    "/licenses/{license_no}/shares/{share_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Revoke a share",
    responses=error_responses(LicenseNotFound, ShareNotFound),
)
async def revoke_share(
    license_no: LicenseNo,
    share_id: Annotated[str, Path(max_length=64)],
    principal: CitizenApiPrincipal,
    session: SessionDep,
    audit: AuditContextDep,
) -> Response:
    """Revoke a share: its token verifies as `share_revoked` from now on. The share stays
    listed, with `revoked_at`; revoking it again changes nothing."""
    await certificates.revoke_share(session, principal, license_no, share_id, audit_context=audit)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
