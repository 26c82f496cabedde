"""Every query of the e-license domain."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.certificates.models import LicenseType


async def list_license_types(
    session: AsyncSession, *, issuer: str | None, after: str | None, limit: int
) -> Sequence[LicenseType]:
    """License types ordered by code, after the keyset `after`, optionally of one issuer."""
    query = select(LicenseType).order_by(LicenseType.code).limit(limit)
    if issuer is not None:
        query = query.where(LicenseType.issuer_code == issuer)
    if after is not None:
        query = query.where(LicenseType.code > after)
    return (await session.scalars(query)).all()


async def get_license_type(session: AsyncSession, code: str) -> LicenseType | None:
    """One license type by code."""
    return await session.get(LicenseType, code)


async def license_type_names(session: AsyncSession) -> Sequence[tuple[str, str, str]]:
    """(code, name, name_en) of every license type."""
    query = select(LicenseType.code, LicenseType.name, LicenseType.name_en)
    return [(row.code, row.name, row.name_en) for row in await session.execute(query)]


async def count_license_types(session: AsyncSession) -> int:
    """How many license types there are."""
    return int(await session.scalar(select(func.count()).select_from(LicenseType)) or 0)
