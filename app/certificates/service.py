"""The e-license domain's logic; other domains call only this module."""

from __future__ import annotations

import time
from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession

from app.certificates import repository
from app.certificates.errors import LicenseTypeNotFound
from app.certificates.models import LicenseType
from app.certificates.schemas import LicenseFieldRead, LicenseTypeRead, LicenseTypeRef
from app.errors import InvalidCursor
from app.kit import pagination
from app.kit.pagination import Page

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
