"""The e-license domain's shares (用证授权) and public verification: what the sharing endpoints
call (service.py holds the rest of the domain's logic)."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.schemas import AuditContext
from app.auth.errors import RoleRequired
from app.auth.principals import Principal
from app.auth.ratelimit_batched import BatchedLimiter
from app.certificates import (
    authority,
    repository,
    share_repository,
    sharing,
    transitions,
    verification,
)
from app.certificates.errors import ShareNotFound
from app.certificates.models import License
from app.certificates.schemas import (
    LicenseVerification,
    ShareCreate,
    ShareRead,
    VerificationRequest,
)
from app.config import Settings
from app.db import Database
from app.kit import pagination, qr
from app.kit.pagination import Page


async def _holders_license(session: AsyncSession, principal: Principal, license_no: str) -> License:
    """A license the caller holds (as a citizen, or acting for the enterprise); 404 otherwise,
    its issuer included: sharing is the holder's consent alone."""
    if principal.kind != "person":
        raise RoleRequired(
            "用证授权须由持证的群众或代表企业的经办人办理",
            "shares are made by citizens and people acting for an enterprise",
        )
    if not transitions.well_formed(license_no):
        raise transitions.not_found()
    license_ = await repository.visible_license(
        session, license_no, await authority.read_scope(session, principal)
    )
    if license_ is None:
        raise transitions.not_found()
    return license_


async def share_license(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    license_no: str,
    data: ShareCreate,
    *,
    audit_context: AuditContext,
) -> ShareRead:
    """Share a valid license the caller holds: for a purpose, chosen fields, until a time."""
    license_ = await _holders_license(session, principal, license_no)
    license_type = await repository.get_license_type(session, license_.type_code)
    if license_type is None:  # a type is never removed while licenses of it exist
        raise transitions.not_found()
    share = await sharing.create(
        session, settings, license_, license_type, data, created_by=principal.id
    )
    await sharing.record(session, share, principal, "license.shared", audit_context)
    return sharing.read(settings, share, license_.license_no)


async def license_shares(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    license_no: str,
    *,
    cursor: str | None,
    limit: int,
) -> Page[ShareRead]:
    """The shares of a license the caller holds, newest first."""
    license_ = await _holders_license(session, principal, license_no)
    before = pagination.decode_id_cursor(cursor)
    rows = await share_repository.license_shares(
        session, license_.id, before=before, limit=limit + 1
    )
    items = [sharing.read(settings, share, license_.license_no) for share in rows[:limit]]
    next_cursor = pagination.encode_cursor([items[-1].id]) if len(rows) > limit else None
    return Page[ShareRead](items=items, next_cursor=next_cursor)


async def revoke_share(
    session: AsyncSession,
    principal: Principal,
    license_no: str,
    share_id: str,
    *,
    audit_context: AuditContext,
) -> None:
    """Stop a share from working at once (revoking it again changes nothing)."""
    license_ = await _holders_license(session, principal, license_no)
    parsed = sharing.parse_id(share_id)
    share = await share_repository.license_share(session, license_.id, parsed) if parsed else None
    if share is None:
        raise ShareNotFound("未找到该用证授权", "no such share")
    if sharing.revoke(share):
        await session.flush()
        await sharing.record(session, share, principal, "license.share_revoked", audit_context)


async def share_qr(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    license_no: str,
    share_id: str,
    image_format: qr.QrFormat,
) -> bytes:
    """The QR image (PNG or SVG) of a share's payload, for the license's holder; 404 for a
    license the caller does not hold or a share it does not have. A revoked or expired share
    still has its image: scanning it verifies as `share_revoked` or `share_expired`."""
    license_ = await _holders_license(session, principal, license_no)
    parsed = sharing.parse_id(share_id)
    share = await share_repository.license_share(session, license_.id, parsed) if parsed else None
    if share is None:
        raise ShareNotFound("未找到该用证授权", "no such share")
    payload = sharing.qr_payload(settings, sharing.share_token(settings, share.id))
    return await asyncio.to_thread(qr.render, payload, image_format)


async def verify_license(
    database: Database,
    limiter: BatchedLimiter,
    settings: Settings,
    data: VerificationRequest,
    *,
    verifier: Principal | None,
    audit_context: AuditContext,
) -> LicenseVerification:
    """Public verification: TooManyVerifications (429) past the per-address limit, else the
    answer (see verification.py); never an error for what was presented. By number it reads
    without a session; a credential or a share gets one whose statements commit one by one
    (the share's access-log entry and the holder's news)."""
    await verification.within_rate_limit(limiter, settings, audit_context.client_address)
    if data.credential is None and data.share_token is None:
        assert data.license_no is not None
        assert data.holder_name is not None
        return await verification.by_number(database, data.license_no, data.holder_name)
    async with database.statementwise_session() as session:
        if data.credential is not None:
            return await verification.by_credential(session, settings, data.credential)
        assert data.share_token is not None
        who = verification.verifier_of(verifier, audit_context.request_id)
        return await verification.by_share(session, settings, data.share_token, who)
