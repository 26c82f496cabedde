"""The queries of shares and of verification look-ups."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.certificates.models import License, LicenseShare
from app.db import Database


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


# What a verification by number shows: no fields, no encrypted columns. The registry's busiest
# query: on PostgreSQL one prepared statement on the driver's connection (asyncpg prepares and
# caches it per connection), elsewhere the same columns as a Core select.
_SUMMARY_COLUMNS = (
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
)
_SUMMARY = select(*_SUMMARY_COLUMNS).where(License.license_no == bindparam("license_no"))
# The same columns and condition, for asyncpg.
_SUMMARY_SQL = (
    "SELECT license_no, type_code, issuer_code, holder_kind, holder_name, holder_id_masked,"
    " holder_uscc, valid_from, valid_until, status, version FROM licenses WHERE license_no = $1"
)


@dataclass(slots=True)
class LicenseSummary:
    """The columns of a license that a verification by number reads."""

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


async def license_summary(database: Database, license_no: str) -> LicenseSummary | None:
    """The summary of a license by number, read outside any session."""
    if database.is_postgresql:
        async with database.driver_connection() as connection:
            record = await connection.fetchrow(_SUMMARY_SQL, license_no)
    else:
        async with database.session(write=False) as session:
            record = (await session.execute(_SUMMARY, {"license_no": license_no})).first()
    return LicenseSummary(*record) if record is not None else None
