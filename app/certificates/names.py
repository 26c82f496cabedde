"""Names of license types and departments, kept in-process.

Search results name the license each service produces, and every verification names the
license's type and issuer: a few hundred rows that change only when the reference data is
re-seeded. They are cached per database and re-read after `TTL_SECONDS`, or at once when a code
is missing (a type or department added since).
"""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from app.certificates import repository
from app.certificates.schemas import IssuerRef
from app.db import Database, database_of
from app.reference.license_types import LicenseTypeRef
from app.services.catalog import service as catalog

TTL_SECONDS = 300.0
T = TypeVar("T")
_type_refs: dict[str, tuple[float, dict[str, LicenseTypeRef]]] = {}
_departments: dict[str, tuple[float, dict[str, IssuerRef]]] = {}


async def _load_type_refs(session: AsyncSession) -> dict[str, LicenseTypeRef]:
    rows = await repository.license_type_names(session)
    return {
        code: LicenseTypeRef(code=code, name=name, name_en=name_en) for code, name, name_en in rows
    }


async def _load_departments(session: AsyncSession) -> dict[str, IssuerRef]:
    names = await catalog.department_names(session)
    return {code: IssuerRef(code=code, name=name) for code, name in names.items()}


def _fresh(
    cache: dict[str, tuple[float, dict[str, T]]], key: str, codes: Collection[str]
) -> dict[str, T] | None:
    cached = cache.get(key)
    if cached is None or cached[0] < time.monotonic() or not all(c in cached[1] for c in codes):
        return None
    return cached[1]


def _keep(cache: dict[str, tuple[float, dict[str, T]]], key: str, names: dict[str, T]) -> None:
    cache[key] = (time.monotonic() + TTL_SECONDS, names)


async def license_type_refs(
    session: AsyncSession, codes: Collection[str]
) -> dict[str, LicenseTypeRef]:
    """Names of the given license types, by code (unknown codes are left out)."""
    if not codes:
        return {}
    key = database_of(session)
    cached = _fresh(_type_refs, key, codes)
    if cached is None:
        cached = await _load_type_refs(session)
        _keep(_type_refs, key, cached)
    return {code: cached[code] for code in codes if code in cached}


async def type_ref(session: AsyncSession, code: str) -> LicenseTypeRef:
    """One license type's name (its code stands in for a type since removed)."""
    refs = await license_type_refs(session, (code,))
    return refs.get(code) or LicenseTypeRef(code=code, name=code, name_en=code)


async def department(session: AsyncSession, code: str) -> IssuerRef:
    """A department's name (its code stands in for a department since removed)."""
    key = database_of(session)
    cached = _fresh(_departments, key, (code,))
    if cached is None:
        cached = await _load_departments(session)
        _keep(_departments, key, cached)
    return cached.get(code) or IssuerRef(code=code, name=code)


async def type_and_issuer(
    database: Database, type_code: str, issuer_code: str
) -> tuple[LicenseTypeRef, IssuerRef]:
    """A license type's and a department's names, as `type_ref` and `department`, for a caller
    without a session: one is opened only when the cache has to be (re)filled."""
    types = _fresh(_type_refs, database.key, (type_code,))
    departments = _fresh(_departments, database.key, (issuer_code,))
    if types is None or departments is None:
        async with database.session(write=False) as session:
            return await type_ref(session, type_code), await department(session, issuer_code)
    return types[type_code], departments[issuer_code]
