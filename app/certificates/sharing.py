"""Shares (用证授权): a holder shows a license for a purpose, chosen fields, until a time.

The QR code carries a short token: the share's id and a truncated HMAC of it, base64url
(38 characters). The HMAC lets verification refuse a forged or garbled token before any
query, and the id says nothing about the license; everything else (what to show, until when,
whether it was revoked) stays in the database, so that revoking a share works at once.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.audit.schemas import AuditContext
from app.auth.principals import Principal
from app.certificates import lifecycle, share_repository
from app.certificates.errors import InvalidShare, ShareNotAllowed
from app.certificates.models import License, LicenseShare, LicenseType
from app.certificates.schemas import ShareCreate, ShareRead
from app.config import Settings
from app.kit.clock import utcnow
from app.kit.crypto import derive_key
from app.kit.encoding import b64url_decode, b64url_encode
from app.kit.ids import new_id
from app.kit.masking import mask_identifiers

_KEY_PURPOSE = "certificates.share-token.k1"
_MAC_BYTES = 12  # 96 bits: forging one takes ~2^96 guesses against a rate-limited endpoint
_ID_BYTES = 16


@functools.cache
def _token_key(secret: str) -> bytes:
    return derive_key(secret, _KEY_PURPOSE)


def _mac(settings: Settings, share_id: bytes) -> bytes:
    key = _token_key(settings.secret_key.get_secret_value())
    return hmac.new(key, share_id, hashlib.sha256).digest()[:_MAC_BYTES]


def share_token(settings: Settings, share_id: uuid.UUID) -> str:
    """The signed token of a share."""
    return b64url_encode(share_id.bytes + _mac(settings, share_id.bytes))


def share_id_of(settings: Settings, token: str) -> uuid.UUID | None:
    """The share a token names, or None when it is malformed or its MAC does not match."""
    try:
        raw = b64url_decode(token)
    except ValueError:
        return None
    if len(raw) != _ID_BYTES + _MAC_BYTES:
        return None
    share_id, mac = raw[:_ID_BYTES], raw[_ID_BYTES:]
    if not hmac.compare_digest(mac, _mac(settings, share_id)):
        return None
    return uuid.UUID(bytes=share_id)


def qr_payload(settings: Settings, token: str) -> str:
    """What the QR code encodes: the public verification address with the token."""
    return f"{settings.issuer_url}/api/v1/licenses/verify?share_token={token}"


def is_active(share: LicenseShare, now: datetime) -> bool:
    """Neither revoked nor past its end."""
    return share.revoked_at is None and share.expires_at > now


def read(settings: Settings, share: LicenseShare, license_no: str) -> ShareRead:
    """A share as its holder sees it."""
    token = share_token(settings, share.id)
    return ShareRead(
        id=str(share.id),
        license_no=license_no,
        purpose=share.purpose,
        fields=list(share.fields),
        expires_at=share.expires_at,
        revoked_at=share.revoked_at,
        created_at=share.created_at,
        active=is_active(share, utcnow()),
        token=token,
        qr_payload=qr_payload(settings, token),
        qr_image=f"/api/v1/licenses/{license_no}/shares/{share.id}/qr",
    )


def _invalid(param: str, zh: str, en: str) -> InvalidShare:
    return InvalidShare(zh, en, extra={"invalid_params": [{"name": param, "reason": en}]})


def _check(
    settings: Settings, license_: License, license_type: LicenseType, data: ShareCreate
) -> list[str]:
    status = lifecycle.read_status(license_.status, license_.valid_until, lifecycle.today())
    if status != "valid":
        raise ShareNotAllowed(
            f"证照当前状态为 {status}，不能授权他人查看",
            f"a license that is {status} cannot be shared",
            extra={"license_status": status},
        )
    declared = {field["name"] for field in license_type.fields}
    unknown = sorted(set(data.fields) - declared)
    if unknown:
        names = ", ".join(unknown)
        raise _invalid("body.fields", f"证照没有这些字段：{names}", f"unknown fields: {names}")
    now = utcnow()
    if data.expires_at.tzinfo is None:
        raise _invalid("body.expires_at", "到期时间须带时区", "expires_at needs a UTC offset")
    if data.expires_at <= now:
        raise _invalid("body.expires_at", "到期时间须晚于现在", "expires_at is not in the future")
    if data.expires_at > now + timedelta(days=settings.license_share_max_days):
        days = settings.license_share_max_days
        raise _invalid(
            "body.expires_at", f"授权最长 {days} 天", f"a share may last at most {days} days"
        )
    # Kept in the order the type declares them, once each.
    return [field["name"] for field in license_type.fields if field["name"] in data.fields]


async def create(
    session: AsyncSession,
    settings: Settings,
    license_: License,
    license_type: LicenseType,
    data: ShareCreate,
    *,
    created_by: str,
) -> LicenseShare:
    """A new share of a valid license; ShareNotAllowed (409) or InvalidShare (422) otherwise."""
    fields = _check(settings, license_, license_type, data)
    share = LicenseShare(
        id=new_id(),
        license_id=license_.id,
        created_by=created_by,
        # The holder's own words, kept in clear here and in their data-access log, and shown to
        # every verifier: a purpose needs no ID, phone or account number whole.
        purpose=mask_identifiers(data.purpose),
        fields=fields,
        expires_at=data.expires_at,
        revoked_at=None,
        created_at=utcnow(),
    )
    await share_repository.add(session, share)
    return share


def revoke(share: LicenseShare) -> bool:
    """Stop a share from working; False when it had been revoked already."""
    if share.revoked_at is not None:
        return False
    share.revoked_at = utcnow()
    return True


def parse_id(value: str) -> uuid.UUID | None:
    """A share id from a path segment (None: not a UUID, so no such share)."""
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def record(
    session: AsyncSession,
    share: LicenseShare,
    principal: Principal,
    action: str,
    audit_context: AuditContext,
) -> None:
    """The audit record of a share made or revoked (the purpose is the holder's own words, so
    it stays out of the audit trail, which the platform's auditors read)."""
    await audit.record(
        session,
        audit_context.entry(
            actor_type="person",
            actor_id=principal.id,
            action=action,
            subject_type="license_share",
            subject_id=str(share.id),
            after={
                "license_id": str(share.license_id),
                "fields": list(share.fields),
                "expires_at": share.expires_at.isoformat(),
                "revoked": share.revoked_at is not None,
            },
        ),
    )
