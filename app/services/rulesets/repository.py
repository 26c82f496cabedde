"""Every query of stored rulesets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.services.rulesets.models import StoredRuleset


async def versions(session: AsyncSession, service_code: str) -> Sequence[StoredRuleset]:
    """Every version of a service's ruleset, newest first."""
    query = (
        select(StoredRuleset)
        .where(StoredRuleset.service_code == service_code)
        .order_by(StoredRuleset.version.desc())
    )
    return (await session.scalars(query)).all()


async def version(
    session: AsyncSession, service_code: str, number: int, *, for_update: bool = False
) -> StoredRuleset | None:
    """One version."""
    query = select(StoredRuleset).where(
        StoredRuleset.service_code == service_code, StoredRuleset.version == number
    )
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def in_force(session: AsyncSession, service_code: str, on: date) -> StoredRuleset | None:
    """The newest published version whose period covers `on`."""
    query = (
        select(StoredRuleset)
        .where(
            StoredRuleset.service_code == service_code,
            StoredRuleset.state == "published",
            StoredRuleset.effective_from <= on,
            or_(StoredRuleset.effective_to.is_(None), StoredRuleset.effective_to > on),
        )
        .order_by(StoredRuleset.version.desc())
        .limit(1)
    )
    return (await session.scalars(query)).first()


async def last_version(session: AsyncSession, service_code: str) -> int:
    """The highest version number of a service (0 when none)."""
    query = select(func.max(StoredRuleset.version)).where(
        StoredRuleset.service_code == service_code
    )
    return int(await session.scalar(query) or 0)


async def add(session: AsyncSession, row: StoredRuleset) -> None:
    """Stage a new version and flush it."""
    session.add(row)
    await session.flush()


async def stored_keys(session: AsyncSession) -> set[tuple[str, int]]:
    """(service, version) of every stored version."""
    rows = await session.execute(select(StoredRuleset.service_code, StoredRuleset.version))
    return {(row.service_code, row.version) for row in rows}
