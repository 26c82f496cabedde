"""The e-license domain's logic; other domains call only this module."""

from __future__ import annotations

import time
import uuid
from collections.abc import Collection, Sequence
from datetime import date, timedelta

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
from app.certificates.models import License, LicenseType
from app.certificates.schemas import (
    CredentialJwks,
    LicenseCreate,
    LicenseCredential,
    LicenseFieldRead,
    LicenseRead,
    LicenseRenewal,
    LicenseTypeRead,
    LicenseTypeRef,
)
from app.config import Settings
from app.db import Database
from app.errors import InvalidCursor
from app.kit import pagination
from app.kit.clock import utcnow
from app.kit.pagination import Page
from app.kit.status_list import Purpose
from app.services.catalog import service as catalog

# License type names change only when the reference data is re-seeded.
_NAMES_TTL_SECONDS = 300.0
_names_cache: dict[str, tuple[float, dict[str, LicenseTypeRef]]] = {}


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
    """Names of the given license types, by code (unknown codes are left out).

    Search results name the license each service produces, so the few hundred names are kept
    in-process per database and re-read after `_NAMES_TTL_SECONDS` or when a code is missing.
    """
    if not codes:
        return {}
    key = session.get_bind().engine.url.render_as_string(hide_password=True)
    now = time.monotonic()
    cached = _names_cache.get(key)
    if cached is None or cached[0] < now or not all(code in cached[1] for code in codes):
        rows = await repository.license_type_names(session)
        names = {
            code: LicenseTypeRef(code=code, name=name, name_en=name_en)
            for code, name, name_en in rows
        }
        cached = _names_cache[key] = (now + _NAMES_TTL_SECONDS, names)
    return {code: cached[1][code] for code in codes if code in cached[1]}


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
    """Issue a license of the caller's department (the approvals will call this too).

    NotAnIssuer (403) for callers without the authority or of another department; InvalidLicense
    (422) for an unknown type, a holder of the wrong kind, or fields that do not fit the type.
    """
    issuer = authority.issuer_of(principal)
    license_type = await repository.get_license_type(session, data.type)
    if license_type is None:
        raise InvalidLicense(
            f"证照类型 {data.type} 不存在",
            f"no license type {data.type!r}",
            extra={"invalid_params": [{"name": "body.type", "reason": "unknown license type"}]},
        )
    issuance.check_authority(issuer, license_type)
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
    await issuance.record_issued(session, license_, issuer, audit_context)
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
    after = _decode_id_cursor(cursor)
    rows = await repository.holder_licenses(session, scope, after=after, limit=limit + 1)
    page = list(rows[:limit])
    next_cursor = pagination.encode_cursor([str(page[-1].id)]) if len(rows) > limit else None
    return Page[LicenseRead](items=await _read_all(session, page), next_cursor=next_cursor)


def _decode_id_cursor(cursor: str | None) -> uuid.UUID | None:
    if cursor is None:
        return None
    try:
        (value,) = pagination.decode_cursor(cursor, arity=1)
        return uuid.UUID(str(value))
    except (pagination.InvalidCursor, ValueError) as exc:
        raise InvalidCursor("分页游标无效", "the cursor is malformed") from exc


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


# Credentials (VC 2.0 secured with JOSE) and status lists


async def bootstrap(database: Database, settings: Settings) -> None:
    """Make sure a credential signing key exists (idempotent; `qingeban migrate` and the app's
    start call it, and signing makes one on first use anyway)."""
    async with database.session() as session:
        await credential_keys.ensure_key(session, settings)


async def credential_jwks(session: AsyncSession, settings: Settings) -> CredentialJwks:
    """The public keys of license and status-list credentials."""
    return CredentialJwks(keys=await credential_keys.published(session, settings))


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
    refs = await license_type_refs(session, {license_.type_code})
    type_ref = refs.get(license_.type_code)
    supersedes = (
        (await repository.license_numbers(session, {license_.supersedes_id})).get(
            license_.supersedes_id
        )
        if license_.supersedes_id is not None
        else None
    )
    issuer_name = await catalog.department_name(session, license_.issuer_code)
    payload = credentials.license_credential(
        license_,
        issuer_url=settings.issuer_url,
        issuer_name=issuer_name or license_.issuer_code,
        type_name=type_ref.name if type_ref is not None else license_.type_code,
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
