"""Public verification of a license: by credential, by share token, or by number and name.

Each way answers `valid` or `invalid` with reasons. What the verifier sees of the license
depends on what the holder gave them: a credential shows what it carries (the holder presented
all of it), a share the fields the holder chose, a number with the right name only the
license's type, issuer, validity and status. Anything that does not lead to a license (a
malformed or forged input, an unknown number, a name that does not match) is the one answer
"unknown", so the endpoint cannot be used to learn which numbers exist or whose they are.

Every verification through a share is written to the holder's data-access log, in the
request's transaction, whatever its outcome.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters import access_log
from app.adapters.schemas import ActorType, DataAccessEntry, SubjectRef
from app.auth.principals import Principal
from app.auth.ratelimit import Limit
from app.auth.ratelimit_batched import BatchedLimiter
from app.certificates import (
    credential_keys,
    credentials,
    jws,
    lifecycle,
    names,
    share_repository,
    sharing,
    transitions,
)
from app.certificates.errors import TooManyVerifications
from app.certificates.models import License, LicenseShare
from app.certificates.schemas import (
    FieldValue,
    HolderRead,
    IssuerRef,
    LicenseVerification,
    VerificationReason,
    VerificationReasonCode,
    VerifiedLicense,
    VerifiedShare,
)
from app.config import Settings
from app.db import Database
from app.kit.clock import utcnow
from app.kit.crypto import constant_time_equals
from app.notifications import events
from app.notifications import service as notifications
from app.reference.license_types import LicenseTypeRef

Method = Literal["credential", "share", "number"]
LICENSE_NO_SHAPE = re.compile(
    r"1\.2\.156\.3005\.2\.[0-9A-Z]{1,16}\.[0-9A-Z]{18}\.[0-9]{10}\.[0-9]{3}\.[0-9A-Z]"
)
CALLING_SYSTEM = "license-verification"

_MESSAGES: dict[VerificationReasonCode, tuple[str, str]] = {
    "unknown": (
        "无法核验：证照不存在、信息不符或凭证无效",
        "no license matches what was presented",
    ),
    "not_yet_valid": ("证照尚未生效", "the license is not valid yet"),
    "expired": ("证照已过有效期", "the license has expired"),
    "suspended": ("证照已被暂扣", "the license is suspended"),
    "revoked": ("证照已被撤销或吊销", "the license has been revoked"),
    "cancelled": ("证照已注销", "the license has been cancelled"),
    "superseded": ("证照已换发新版本，此版本不再有效", "a newer version replaced this one"),
    "share_expired": ("用证授权已过期", "the share has expired"),
    "share_revoked": ("持证人已撤回用证授权", "the holder has revoked the share"),
}


@dataclass(frozen=True, slots=True)
class Verifier:
    """Who asked: a signed-in client, staff member or person, or an anonymous scanner."""

    actor_type: ActorType
    actor_id: str
    request_id: str | None = None


def _reason(code: VerificationReasonCode) -> VerificationReason:
    zh, en = _MESSAGES[code]
    return VerificationReason(code=code, message_zh=zh, message_en=en)


def _answer(
    method: Method,
    reasons: list[VerificationReasonCode],
    license_: VerifiedLicense | None = None,
    share: VerifiedShare | None = None,
) -> LicenseVerification:
    return LicenseVerification(
        result="invalid" if reasons else "valid",
        reasons=[_reason(code) for code in reasons],
        method=method,
        license=license_,
        share=share,
        checked_at=utcnow(),
    )


def unknown(method: Method) -> LicenseVerification:
    """The answer for anything that names no license the verifier may see."""
    return _answer(method, ["unknown"])


# The statuses (as read) a verifier is told about, and the reason each one gives.
_STATUS_REASONS: dict[str, VerificationReasonCode] = {
    "expired": "expired",
    "suspended": "suspended",
    "revoked": "revoked",
    "cancelled": "cancelled",
    "superseded": "superseded",
}


class LicenseFacts(Protocol):
    """The columns of a license that verification reads (an entity or a summary row)."""

    license_no: str
    type_code: str
    issuer_code: str
    holder_kind: str
    holder_name: str
    holder_id_masked: str | None
    holder_uscc: str | None
    valid_from: date
    valid_until: date | None
    status: str
    version: int


def _status_reasons(license_: LicenseFacts, today: date) -> list[VerificationReasonCode]:
    status = lifecycle.read_status(license_.status, license_.valid_until, today)
    reasons: list[VerificationReasonCode] = []
    if status in _STATUS_REASONS:
        reasons.append(_STATUS_REASONS[status])
    if license_.valid_from > today:
        reasons.append("not_yet_valid")
    return reasons


async def _view(
    session: AsyncSession,
    license_: LicenseFacts,
    fields: dict[str, FieldValue],
    today: date,
    *,
    show_id_number: bool,
) -> VerifiedLicense:
    type_ref = await names.type_ref(session, license_.type_code)
    issuer = await names.department(session, license_.issuer_code)
    return _named_view(license_, type_ref, issuer, fields, today, show_id_number=show_id_number)


def _named_view(
    license_: LicenseFacts,
    type_ref: LicenseTypeRef,
    issuer: IssuerRef,
    fields: dict[str, FieldValue],
    today: date,
    *,
    show_id_number: bool,
) -> VerifiedLicense:
    status = lifecycle.read_status(license_.status, license_.valid_until, today)
    person = license_.holder_kind == "person"
    return VerifiedLicense(
        license_no=license_.license_no,
        type=type_ref,
        issuer=issuer,
        holder=HolderRead(
            kind="person" if person else "enterprise",
            name=license_.holder_name,
            id_number_masked=license_.holder_id_masked if person and show_id_number else None,
            uscc=license_.holder_uscc,
        ),
        valid_from=license_.valid_from,
        valid_until=license_.valid_until,
        status=status,
        version=license_.version,
        fields=fields,
    )


def _same_name(given: str, held: str) -> bool:
    # Full-width letters and stray spaces are how names are mistyped, not who they name.
    def norm(name: str) -> str:
        return "".join(unicodedata.normalize("NFKC", name).split()).casefold()

    return constant_time_equals(norm(given), norm(held))


async def by_number(database: Database, license_no: str, holder_name: str) -> LicenseVerification:
    """A number and its holder's name: validity, no fields. The busiest way, so it reads
    without a session: one look-up, and the names from the in-process cache."""
    # The shape alone keeps garbage away from the database; the full check (check characters
    # of the identifier and of the issuer's code) would cost more than the indexed look-up.
    if not LICENSE_NO_SHAPE.fullmatch(license_no):
        return unknown("number")
    license_ = await share_repository.license_summary(database, license_no)
    if license_ is None or not _same_name(holder_name, license_.holder_name):
        return unknown("number")
    today = lifecycle.today()
    type_ref, issuer = await names.type_and_issuer(
        database, license_.type_code, license_.issuer_code
    )
    view = _named_view(license_, type_ref, issuer, {}, today, show_id_number=False)
    return _answer("number", _status_reasons(license_, today), view)


def _shown_fields(license_: License, chosen: list[str]) -> dict[str, FieldValue]:
    stored: dict[str, Any] = dict(license_.fields)
    # The fields that repeat the holder are not stored with the license; see issuance.
    if license_.holder_kind == "person":
        stored.setdefault("holder_name", license_.holder_name)
        stored.setdefault("id_number", license_.holder_id_masked)
    else:
        stored.setdefault("holder_name", license_.holder_name)
    masked = credentials.masked_fields(stored)
    return {name: masked[name] for name in chosen if name in masked}


async def by_share(
    session: AsyncSession, settings: Settings, token: str, verifier: Verifier
) -> LicenseVerification:
    """A share token: validity and the fields the holder chose, logged for the holder."""
    share_id = sharing.share_id_of(settings, token)
    found = await share_repository.share_with_license(session, share_id) if share_id else None
    if found is None:
        return unknown("share")
    share, license_ = found
    now, today = utcnow(), lifecycle.today()
    if share.revoked_at is not None or share.expires_at <= now:
        code: VerificationReasonCode = (
            "share_revoked" if share.revoked_at is not None else "share_expired"
        )
        await _log(session, settings, share, license_, verifier, "refused", code)
        return _answer("share", [code])
    reasons = _status_reasons(license_, today)
    fields = _shown_fields(license_, list(share.fields))
    view = await _view(session, license_, fields, today, show_id_number="id_number" in fields)
    await _log(session, settings, share, license_, verifier, "found", ",".join(reasons) or "valid")
    await _tell_holder(session, share, license_, verifier, ",".join(reasons) or "valid")
    return _answer(
        "share", reasons, view, VerifiedShare(purpose=share.purpose, expires_at=share.expires_at)
    )


async def _tell_holder(
    session: AsyncSession, share: LicenseShare, license_: License, verifier: Verifier, result: str
) -> None:
    """The holder hears that their share was used, and a partner that verified it may hear of
    its own verification by webhook. Verification runs statement by statement on PostgreSQL
    (an autocommit session): were the process to die between the event and its fan-out job,
    this news (and only it) would be lost; the verification itself stands in the access log."""
    await notifications.publish(
        session,
        events.SHARE_VERIFIED,
        subject=f"share/{share.id}",
        payload={"license_no": license_.license_no, "share_id": str(share.id), "result": result},
        enterprise=license_.holder_uscc if license_.holder_kind == "enterprise" else None,
        holder_index=license_.holder_id_index if license_.holder_kind != "enterprise" else None,
        client=verifier.actor_id if verifier.actor_type == "client" else None,
    )


def _subject(settings: Settings, license_: License) -> SubjectRef:
    if license_.holder_kind == "person":
        # The license keeps the holder's ID number as the platform's blind index already.
        assert license_.holder_id_index is not None
        assert license_.holder_id_masked is not None
        return SubjectRef(
            kind="person", index=license_.holder_id_index, masked=license_.holder_id_masked
        )
    assert license_.holder_uscc is not None
    return access_log.subject_ref(
        "enterprise", license_.holder_uscc, access_log.blind_index_from_settings(settings)
    )


async def _log(
    session: AsyncSession,
    settings: Settings,
    share: LicenseShare,
    license_: License,
    verifier: Verifier,
    outcome: Literal["found", "refused"],
    reason: str,
) -> None:
    await access_log.record_access(
        session,
        DataAccessEntry(
            calling_system=CALLING_SYSTEM,
            actor_type=verifier.actor_type,
            actor_id=verifier.actor_id,
            subject=_subject(settings, license_),
            department=license_.issuer_code,
            dataset=license_.type_code,
            purpose=share.purpose,
            case_id=str(share.id),
            outcome=outcome,
            reason=reason,
            request_id=verifier.request_id,
        ),
    )


async def by_credential(
    session: AsyncSession, settings: Settings, credential: str
) -> LicenseVerification:
    """A presented credential: its signature against the published keys, its validity period,
    and the license's status now; shows the fields the credential carries."""
    payload = await _verified_payload(session, settings, credential)
    number = _license_number(payload) if payload is not None else None
    license_ = await share_repository.license_by_number(session, number) if number else None
    if payload is None or license_ is None:
        return unknown("credential")
    today, now = lifecycle.today(), utcnow()
    reasons = _status_reasons(license_, today)
    # The credential's own period counts too: it is what the holder presented.
    if not _within(payload, now):
        reasons = reasons or ["expired"]
    carried = payload["credentialSubject"]["license"].get("fields")
    fields = {
        str(name): value
        for name, value in (carried.items() if isinstance(carried, dict) else ())
        if isinstance(value, str | int | float) and not isinstance(value, bool)
    }
    view = await _view(session, license_, fields, today, show_id_number=True)
    return _answer("credential", reasons, view)


async def _verified_payload(
    session: AsyncSession, settings: Settings, credential: str
) -> dict[str, Any] | None:
    kid = jws.unverified_kid(credential)
    key = await credential_keys.verification_key(session, settings, kid) if kid else None
    if key is None:
        return None
    try:
        return jws.verify(credential, key)
    except jws.CredentialSignatureError:
        return None


def _license_number(payload: dict[str, Any]) -> str | None:
    subject = payload.get("credentialSubject")
    license_data = subject.get("license") if isinstance(subject, dict) else None
    number = license_data.get("number") if isinstance(license_data, dict) else None
    return number if isinstance(number, str) and transitions.well_formed(number) else None


def _within(payload: dict[str, Any], now: datetime) -> bool:
    try:
        start = datetime.fromisoformat(str(payload["validFrom"]))
        end = payload.get("validUntil")
        return start <= now and (end is None or now < datetime.fromisoformat(str(end)))
    except (KeyError, ValueError, TypeError):
        return False


def verifier_of(principal: Principal | None, request_id: str | None) -> Verifier:
    """The verifier to log: the signed-in caller (a partner's client id, a clerk's staff id; a
    person's id is withheld from the holder), else anonymous."""
    if principal is None:
        return Verifier("anonymous", "anonymous", request_id)
    return Verifier(principal.kind, principal.id, request_id)


async def within_rate_limit(
    limiter: BatchedLimiter, settings: Settings, client_address: str | None
) -> None:
    """TooManyVerifications (429) once an address has verified too often this minute: each
    verification by number is a guess at a number and a name. Counted in batches across the
    API processes (app.auth.ratelimit_batched: a few hits over the limit at most, no round
    trip per verification)."""
    limit = Limit("licenses.verify.address", settings.license_verify_rate_limit, 60)
    verdict = await limiter.hit(limit, client_address or "unknown")
    if not verdict.allowed:
        raise TooManyVerifications(verdict.retry_after)
