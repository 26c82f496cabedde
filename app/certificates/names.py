"""Names of license types and departments, kept in-process.

Search results name the license each service produces, and every verification names the
license's type and issuer: a few hundred rows that change only when the reference data is
re-seeded. They are cached per database and re-read after `TTL_SECONDS`, or at once when a code
is missing (a type or department added since).
"""

from __future__ import annotations

import time
from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession

from app.certificates import repository
from app.certificates.schemas import IssuerRef
from app.reference.license_types import LicenseTypeRef
from app.services.catalog import service as catalog

TTL_SECONDS = 300.0
_type_refs: dict[str, tuple[float, dict[str, LicenseTypeRef]]] = {}
_departments: dict[str, tuple[float, dict[str, IssuerRef]]] = {}


def _database_key(session: AsyncSession) -> str:
    return session.get_bind().engine.url.render_as_string(hide_password=True)


async def license_type_refs(
    session: AsyncSession, codes: Collection[str]
) -> dict[str, LicenseTypeRef]:
    """Names of the given license types, by code (unknown codes are left out)."""
    if not codes:
        return {}
    key, now = _database_key(session), time.monotonic()
    cached = _type_refs.get(key)
    if cached is None or cached[0] < now or not all(code in cached[1] for code in codes):
        rows = await repository.license_type_names(session)
        names = {
            code: LicenseTypeRef(code=code, name=name, name_en=name_en)
            for code, name, name_en in rows
        }
        cached = _type_refs[key] = (now + TTL_SECONDS, names)
    return {code: cached[1][code] for code in codes if code in cached[1]}


async def type_ref(session: AsyncSession, code: str) -> LicenseTypeRef:
    """One license type's name (its code stands in for a type since removed)."""
    refs = await license_type_refs(session, (code,))
    return refs.get(code) or LicenseTypeRef(code=code, name=code, name_en=code)


async def department(session: AsyncSession, code: str) -> IssuerRef:
    """A department's name (its code stands in for a department since removed)."""
    key, now = _database_key(session), time.monotonic()
    cached = _departments.get(key)
    if cached is None or cached[0] < now or code not in cached[1]:
        names = await catalog.department_names(session)
        cached = _departments[key] = (
            now + TTL_SECONDS,
            {code: IssuerRef(code=code, name=name) for code, name in names.items()},
        )
    return cached[1].get(code) or IssuerRef(code=code, name=code)
