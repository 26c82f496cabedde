"""The e-license domain's logic; other domains call only this module."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.schemas import AuditContext
from app.auth.errors import RoleRequired
from app.auth.principals import Principal
from app.certificates import (
    authority,
    credential_keys,
    credentials,
    holders,
    issuance,
    jws,
    lifecycle,
    names,
    presentation,
    repository,
    transitions,
)
from app.certificates.errors import (
    DuplicateSourceRecord,
    InvalidLicense,
    LicenseTypeNotFound,
    StatusListNotFound,
)
from app.certificates.lifecycle import Action
from app.certificates.models import License, LicenseStatus, LicenseType
from app.certificates.schemas import (
    CredentialJwks,
    HolderCreate,
    LicenseCreate,
    LicenseCredential,
    LicenseFieldRead,
    LicenseRead,
    LicenseRenewal,
    LicenseTypeRead,
)
from app.config import Settings
from app.db import Database
from app.errors import InvalidCursor
from app.kit import pagination
from app.kit.clock import utcnow
from app.kit.pagination import Page
from app.kit.status_list import Purpose
from app.notifications import events
from app.notifications import service as notifications
from app.reference.license_types import LicenseTypeRef


def _read(license_type: LicenseType) -> LicenseTypeRead:
    return LicenseTypeRead(
        code=license_type.code,
        name=license_type.name,
        name_en=license_type.name_en,
        type_code=license_type.type_code,
        issuer=license_type.issuer_code,
        holder_kind=license_type.holder_kind,
        validity_years=license_type.validity_years,
        fields=[LicenseFieldRead.model_validate(field) for field in license_type.fields],
    )


def _decode_after(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        (code,) = pagination.decode_cursor(cursor, arity=1)
    except pagination.InvalidCursor as exc:
        raise InvalidCursor("分页游标无效", "the cursor is malformed") from exc
    if not isinstance(code, str):
        raise InvalidCursor("分页游标无效", "the cursor does not fit this list")
    return code


async def list_license_types(
    session: AsyncSession, *, issuer: str | None, cursor: str | None, limit: int
) -> Page[LicenseTypeRead]:
    """A page of license types ordered by code, optionally of one issuing department."""
    after = _decode_after(cursor)
    rows = await repository.list_license_types(session, issuer=issuer, after=after, limit=limit + 1)
    items = [_read(row) for row in rows[:limit]]
    next_cursor = pagination.encode_cursor([items[-1].code]) if len(rows) > limit else None
    return Page[LicenseTypeRead](items=items, next_cursor=next_cursor)


async def get_license_type(session: AsyncSession, code: str) -> LicenseTypeRead:
    """One license type; LicenseTypeNotFound when there is none with that code."""
    license_type = await repository.get_license_type(session, code)
    if license_type is None:
        raise LicenseTypeNotFound(f"证照类型 {code} 不存在", f"no license type {code!r}")
    return _read(license_type)


async def license_type_refs(
    session: AsyncSession, codes: Collection[str]
) -> dict[str, LicenseTypeRef]:
    """Names of the given license types, by code (unknown codes are left out; cached)."""
    return await names.license_type_refs(session, codes)


async def count_license_types(session: AsyncSession) -> int:
    """How many license types the registry knows."""
    return await repository.count_license_types(session)


# Licenses


async def _read_all(session: AsyncSession, licenses: Sequence[License]) -> list[LicenseRead]:
    refs = await license_type_refs(session, {row.type_code for row in licenses})
    return await presentation.read_many(session, licenses, refs)


async def issue_license(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    data: LicenseCreate,
    *,
    audit_context: AuditContext,
) -> LicenseRead:
    """Issue a license of the caller's department.

    NotAnIssuer (403) for callers without the authority or of another department; InvalidLicense
    (422) for an unknown type, a holder of the wrong kind, or fields that do not fit the type;
    DuplicateSourceRecord (409) when the issuer's record already has a license.
    """
    issuer = authority.issuer_of(principal)
    license_type = await _type_to_issue(session, data)
    issuance.check_authority(issuer, license_type)
    return await _issue(session, settings, issuer, license_type, data, audit_context)


async def issue_as_system(
    session: AsyncSession,
    settings: Settings,
    data: LicenseCreate,
    *,
    actor_id: str,
    audit_context: AuditContext,
    notify: bool = True,
) -> LicenseRead:
    """Issue a license on behalf of the type's issuing department, as a platform process (an
    approval's outcome, the demo world) named `actor_id` in the audit trail; the same checks
    and errors as `issue_license`, but the authority is the caller's to establish. Without
    `notify` nobody is told (licenses the demo world holds from before)."""
    license_type = await _type_to_issue(session, data)
    issuer = authority.Issuer(license_type.issuer_code, "system", actor_id)
    return await _issue(session, settings, issuer, license_type, data, audit_context, notify=notify)


async def _type_to_issue(session: AsyncSession, data: LicenseCreate) -> LicenseType:
    license_type = await repository.get_license_type(session, data.type)
    if license_type is None:
        raise InvalidLicense(
            f"证照类型 {data.type} 不存在",
            f"no license type {data.type!r}",
            extra={"invalid_params": [{"name": "body.type", "reason": "unknown license type"}]},
        )
    return license_type


async def _issue(
    session: AsyncSession,
    settings: Settings,
    issuer: authority.Issuer,
    license_type: LicenseType,
    data: LicenseCreate,
    audit_context: AuditContext,
    *,
    notify: bool = True,
) -> LicenseRead:
    if data.holder.kind != license_type.holder_kind:
        raise InvalidLicense(
            f"{license_type.name}的持证者应为 {license_type.holder_kind}",
            f"licenses of this type are held by a {license_type.holder_kind}",
            extra={"invalid_params": [{"name": "body.holder.kind", "reason": "wrong holder kind"}]},
        )
    holder = holders.protect(settings, data.holder)
    fields = issuance.check_fields(license_type, data.fields, data.holder)
    valid_from, valid_until = issuance.validity(license_type, data.valid_from, data.valid_until)
    if data.source_record_id is not None and await repository.source_record_taken(
        session, license_type.issuer_code, data.source_record_id
    ):
        raise DuplicateSourceRecord(
            f"业务记录 {data.source_record_id} 已签发过证照",
            f"a license was already issued for source record {data.source_record_id!r}",
        )
    license_ = await issuance.create(
        session,
        license_type,
        issuer,
        holder=holder,
        fields=fields,
        valid_from=valid_from,
        valid_until=valid_until,
        source_record_id=data.source_record_id,
    )
    await issuance.record_issued(session, license_, issuer, audit_context, notify=notify)
    return (await _read_all(session, [license_]))[0]


async def get_license(session: AsyncSession, principal: Principal, license_no: str) -> LicenseRead:
    """A license its holder or issuer asks for; LicenseNotFound (404) for anyone else."""
    if not transitions.well_formed(license_no):
        raise transitions.not_found()
    scope = await authority.read_scope(session, principal)
    license_ = await repository.visible_license(session, license_no, scope)
    if license_ is None:
        raise transitions.not_found()
    return (await _read_all(session, [license_]))[0]


async def wallet(
    session: AsyncSession, principal: Principal, *, cursor: str | None, limit: int
) -> Page[LicenseRead]:
    """The caller's licenses as a holder: a citizen's, or the enterprise's they act for."""
    if principal.kind != "person":
        raise RoleRequired(
            "证照夹须由持证的群众或代表企业的经办人查看",
            "the wallet is for citizens and people acting for an enterprise",
        )
    scope = await authority.read_scope(session, principal)
    after = pagination.decode_id_cursor(cursor)
    rows = await repository.holder_licenses(session, scope, after=after, limit=limit + 1)
    page = list(rows[:limit])
    next_cursor = pagination.encode_cursor([str(page[-1].id)]) if len(rows) > limit else None
    return Page[LicenseRead](items=await _read_all(session, page), next_cursor=next_cursor)


def _holder_scope(holder_id_index: str | None, holder_uscc: str | None) -> authority.ReadScope:
    """The read scope of exactly one holder: a person by ID blind index, or an enterprise."""
    if (holder_id_index is None) == (holder_uscc is None):
        raise ValueError("name exactly one holder: holder_id_index or holder_uscc")
    return authority.ReadScope(holder_id_index=holder_id_index, holder_uscc=holder_uscc)


async def held_license(
    session: AsyncSession,
    *,
    type_code: str,
    holder_id_index: str | None = None,
    holder_uscc: str | None = None,
) -> LicenseRead | None:
    """The holder's newest license of a type (a person by ID blind index, or an enterprise),
    for the platform's own use such as the facts of a renewal; None when it holds none."""
    scope = _holder_scope(holder_id_index, holder_uscc)
    license_ = await repository.holder_license_of_type(session, scope, type_code)
    return None if license_ is None else (await _read_all(session, [license_]))[0]


async def held_licenses(
    session: AsyncSession,
    *,
    type_codes: Collection[str],
    holder_id_index: str | None = None,
    holder_uscc: str | None = None,
) -> dict[str, LicenseRead]:
    """`held_license` of several types in one query, by type code (types held: only those)."""
    scope = _holder_scope(holder_id_index, holder_uscc)
    if not type_codes:
        return {}
    found = await repository.holder_licenses_of_types(session, scope, type_codes)
    if not found:
        return {}
    reads = await _read_all(session, list(found.values()))
    return dict(zip(found, reads, strict=True))


async def valid_license_numbers(
    session: AsyncSession,
    *,
    type_codes: Collection[str],
    holder_id_index: str | None = None,
    holder_uscc: str | None = None,
) -> dict[str, str]:
    """Of `held_licenses`, the numbers of those that read valid today, by type code (what a
    submission's materials ask the registry: no whole license to build)."""
    scope = _holder_scope(holder_id_index, holder_uscc)
    if not type_codes:
        return {}
    found = await repository.holder_license_states(session, scope, type_codes)
    today = lifecycle.today()
    return {
        code: held.license_no
        for code, held in found.items()
        if lifecycle.read_status(held.status, held.valid_until, today) == LicenseStatus.VALID
    }


async def change_license_status(
    session: AsyncSession,
    principal: Principal,
    license_no: str,
    action: Action,
    *,
    reason: str,
    audit_context: AuditContext,
) -> LicenseRead:
    """Suspend, reinstate, revoke or cancel a license of the caller's department."""
    issuer = authority.issuer_of(principal)
    license_ = await transitions.change_status(
        session, issuer, license_no, action, reason=reason, audit_context=audit_context
    )
    return (await _read_all(session, [license_]))[0]


async def renew_license(
    session: AsyncSession,
    principal: Principal,
    license_no: str,
    data: LicenseRenewal,
    *,
    audit_context: AuditContext,
) -> LicenseRead:
    """Renew a valid or expired license of the caller's department: its next version."""
    issuer = authority.issuer_of(principal)
    successor = await transitions.renew(
        session,
        issuer,
        license_no,
        reason=data.reason,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        audit_context=audit_context,
    )
    return (await _read_all(session, [successor]))[0]


async def renew_as_system(
    session: AsyncSession,
    license_no: str,
    *,
    actor_id: str,
    reason: str,
    audit_context: AuditContext,
) -> LicenseRead:
    """Renew a license on behalf of its issuing department, as a platform process (an approved
    renewal application) named `actor_id` in the audit trail; its next version."""
    if not transitions.well_formed(license_no):
        raise transitions.not_found()
    issuer_code = await repository.issuer_of_license(session, license_no)
    if issuer_code is None:
        raise transitions.not_found()
    issuer = authority.Issuer(issuer_code, "system", actor_id)
    successor = await transitions.renew(
        session, issuer, license_no, reason=reason, valid_from=None, valid_until=None,
        audit_context=audit_context,
    )  # fmt: skip
    return (await _read_all(session, [successor]))[0]


async def transfer_as_system(
    session: AsyncSession,
    settings: Settings,
    license_no: str,
    new_holder: HolderCreate,
    *,
    fields: dict[str, Any],
    actor_id: str,
    reason: str,
    audit_context: AuditContext,
) -> LicenseRead:
    """Transfer a license to a new holder on behalf of its issuing department, as a platform
    process (a registered sale) named `actor_id`: the new holder's license, the old one
    superseded; LicenseNotFound (404) for an unknown number, TransitionNotAllowed (409) for
    one that is not in force."""
    if not transitions.well_formed(license_no):
        raise transitions.not_found()
    issuer_code = await repository.issuer_of_license(session, license_no)
    if issuer_code is None:
        raise transitions.not_found()
    issuer = authority.Issuer(issuer_code, "system", actor_id)
    successor = await transitions.transfer(
        session, issuer, license_no, holder=holders.protect(settings, new_holder), fields=fields,
        reason=reason, audit_context=audit_context,
    )  # fmt: skip
    return (await _read_all(session, [successor]))[0]


async def licenses_expiring(
    session: AsyncSession,
    *,
    within_days: int,
    on: date | None = None,
    after: tuple[date, str] | None = None,
    limit: int = 1000,
) -> list[LicenseRead]:
    """Valid licenses whose last day is within the next `within_days` days (today included).

    For the proactive renewals, which will run it daily and page with `after` = the last
    license's (valid_until, license_no).
    """
    first_day = on or lifecycle.today()
    rows = await repository.expiring_licenses(
        session,
        first_day=first_day,
        last_day=first_day + timedelta(days=within_days),
        after=after,
        limit=limit,
    )
    return await _read_all(session, rows)


# Each license version is told once that it is expiring, however often the daily run finds
# it: the event's id is derived from the license number.
_EXPIRING_EVENTS = uuid.UUID("5f0f2c1e-7a51-4b0e-9d55-2a1b7c3e8d01")


async def announce_expiring(
    session: AsyncSession, *, within_days: int = 30, on: date | None = None
) -> int:
    """Tell the holders of valid licenses whose last day is within `within_days` days that
    they expire (`license.expiring`, in their inbox and by text), once per license; how many
    were told now. Run daily (`qingeban licenses announce-expiring`)."""
    await repository.lock_expiry_notices(session)
    first_day = on or lifecycle.today()
    told, after = 0, None
    while True:
        rows = await repository.expiring_licenses(
            session, first_day=first_day, last_day=first_day + timedelta(days=within_days),
            after=after, limit=500,
        )  # fmt: skip
        for license_ in rows:
            event_id = uuid.uuid5(_EXPIRING_EVENTS, license_.license_no)
            if not await notifications.published(session, event_id):
                await issuance.publish(
                    session, events.LICENSE_EXPIRING, license_, event_id=event_id
                )
                told += 1
        if len(rows) < 500:
            return told
        last = rows[-1]
        assert last.valid_until is not None
        after = (last.valid_until, last.license_no)


# Credentials (VC 2.0 secured with JOSE) and status lists


async def bootstrap(database: Database, settings: Settings) -> None:
    """Make sure a credential signing key exists (idempotent; `qingeban migrate` and the app's
    start call it, and signing makes one on first use anyway)."""
    async with database.session() as session:
        await credential_keys.ensure_key(session, settings)


async def credential_jwks(session: AsyncSession, settings: Settings) -> CredentialJwks:
    """The public keys of license and status-list credentials."""
    return CredentialJwks(keys=await credential_keys.published(session, settings))


async def sign_compact(
    session: AsyncSession, settings: Settings, payload: dict[str, Any], *, typ: str
) -> str:
    """A compact ES256 JWS of `payload` under the credential key published at
    /api/v1/licenses/jwks, for another domain's signed token (the city code). Its own `typ`
    keeps it from ever passing for a license credential (`vc+jwt`), and the reverse."""
    if typ == jws.CREDENTIAL_TYP:
        raise ValueError("vc+jwt is the license credentials' type")
    signer = await credential_keys.signer(session, settings)
    return jws.sign(payload, signer.key, kid=signer.kid, typ=typ)


async def verify_compact(
    session: AsyncSession, settings: Settings, token: str, *, typ: str
) -> dict[str, Any] | None:
    """The payload of a compact JWS made by `sign_compact` with this `typ`: ES256 only, a
    published kid, a good signature; None for anything else (forged, other alg, other type)."""
    kid = jws.unverified_kid(token)
    key = await credential_keys.verification_key(session, settings, kid) if kid else None
    if key is None:
        return None
    try:
        return jws.verify(token, key, typ=typ)
    except jws.CredentialSignatureError:
        return None


async def license_credential(
    session: AsyncSession, settings: Settings, principal: Principal, license_no: str
) -> LicenseCredential:
    """The signed credential of a license, for its holder or issuer; LicenseNotFound (404) for
    anyone else. Signed on request (ES256 takes well under a millisecond), so a license
    imported or changed needs nothing done ahead; the status lives in the status lists."""
    if not transitions.well_formed(license_no):
        raise transitions.not_found()
    scope = await authority.read_scope(session, principal)
    license_ = await repository.visible_license(session, license_no, scope)
    if license_ is None:
        raise transitions.not_found()
    type_ref = await names.type_ref(session, license_.type_code)
    supersedes = (
        (await repository.license_numbers(session, {license_.supersedes_id})).get(
            license_.supersedes_id
        )
        if license_.supersedes_id is not None
        else None
    )
    issuer = await names.department(session, license_.issuer_code)
    payload = credentials.license_credential(
        license_,
        issuer_url=settings.issuer_url,
        issuer_name=issuer.name,
        type_name=type_ref.name,
        supersedes=supersedes,
    )
    signer = await credential_keys.signer(session, settings)
    return LicenseCredential(
        credential=jws.sign(payload, signer.key, kid=signer.kid), kid=signer.kid
    )


async def status_list_credential(session: AsyncSession, settings: Settings, list_id: str) -> str:
    """The signed BitstringStatusListCredential of a list as it is now (a compact JWS);
    StatusListNotFound (404) for an unknown or malformed id."""
    try:
        parsed = uuid.UUID(list_id)
    except ValueError:
        parsed = None
    status_list = await repository.get_status_list(session, parsed) if parsed else None
    if status_list is None:
        raise StatusListNotFound(f"状态列表 {list_id} 不存在", f"no status list {list_id!r}")
    purpose: Purpose = "revocation" if status_list.purpose == "revocation" else "suspension"
    indexes = await repository.status_indexes(
        session, purpose, status_list.id, credentials.STATUSES_BY_PURPOSE[purpose]
    )
    payload = credentials.status_list_credential(
        issuer_url=settings.issuer_url,
        list_id=status_list.id,
        purpose=purpose,
        set_indexes=indexes,
        size=status_list.size,
        now=utcnow(),
    )
    signer = await credential_keys.signer(session, settings)
    return jws.sign(payload, signer.key, kid=signer.kid)
