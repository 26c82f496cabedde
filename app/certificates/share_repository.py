"""The queries of shares and of verification look-ups."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.certificates.models import License, LicenseShare


async def add(session: AsyncSession, share: LicenseShare) -> None:
    """Stage a new share and flush it."""
    session.add(share)
    await session.flush()


async def license_shares(
    session: AsyncSession, license_id: uuid.UUID, *, before: uuid.UUID | None, limit: int
) -> Sequence[LicenseShare]:
    """The shares of a license, newest first (ids are time-ordered)."""
    query = (
        select(LicenseShare)
        .where(LicenseShare.license_id == license_id)
        .order_by(LicenseShare.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(LicenseShare.id < before)
    return (await session.scalars(query)).all()


async def license_share(
    session: AsyncSession, license_id: uuid.UUID, share_id: uuid.UUID
) -> LicenseShare | None:
    """One share of this license."""
    query = select(LicenseShare).where(
        LicenseShare.id == share_id, LicenseShare.license_id == license_id
    )
    return (await session.scalars(query)).first()


async def share_with_license(
    session: AsyncSession, share_id: uuid.UUID
) -> tuple[LicenseShare, License] | None:
    """A share and the license it shows, in one query."""
    query = (
        select(LicenseShare, License)
        .join(License, License.id == LicenseShare.license_id)
        .where(LicenseShare.id == share_id)
    )
    row = (await session.execute(query)).first()
    return (row[0], row[1]) if row is not None else None


async def license_by_number(session: AsyncSession, license_no: str) -> License | None:
    """Any license by number (verification decides what the verifier may see)."""
    return (await session.scalars(select(License).where(License.license_no == license_no))).first()


# What a verification by number shows: no fields, no encrypted columns. Read as plain columns,
# not an entity, and built once with a bound parameter, since this is the registry's busiest
# query.
_SUMMARY = select(
    License.license_no,
    License.type_code,
    License.issuer_code,
    License.holder_kind,
    License.holder_name,
    License.holder_id_masked,
    License.holder_uscc,
    License.valid_from,
    License.valid_until,
    License.status,
    License.version,
).where(License.license_no == bindparam("license_no"))


async def license_summary(session: AsyncSession, license_no: str) -> Row[Any] | None:
    """The columns of `_SUMMARY` of a license by number."""
    result = await session.execute(_SUMMARY, {"license_no": license_no})
    return cast("Row[Any] | None", result.first())
