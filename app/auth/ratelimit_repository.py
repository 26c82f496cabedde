"""The queries of rate-limit counters: one upsert each, never read-then-write, so that
concurrent requests on any number of API processes count every hit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, case, delete, or_
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import RateLimitCounter
from app.auth.repository import dialect_insert

_COUNTERS = RateLimitCounter.__table__


async def increment_counter(
    session: AsyncSession, key: str, expires_at: datetime, *, by: int = 1
) -> int:
    """Add `by` hits (one by default) to a counter (created at `by`) and return its count."""
    statement = (
        dialect_insert(session)(RateLimitCounter)
        .values(key=key, hits=by, expires_at=expires_at)
        .on_conflict_do_update(
            index_elements=["key"], set_={"hits": RateLimitCounter.__table__.c.hits + by}
        )
        .returning(RateLimitCounter.hits)
    )
    return int((await session.execute(statement)).scalar_one())


async def increment_anchored_counter(
    session: AsyncSession, key: str, now: datetime, expires_at: datetime
) -> int:
    """Add one hit to a counter whose window started at its first hit (created at 1; an
    expired one starts again at 1, until `expires_at`) and return its count."""
    expired = _COUNTERS.c.expires_at <= now
    new_expiry = case((expired, expires_at), else_=_COUNTERS.c.expires_at)
    return await _restarting_upsert(session, key, expires_at, expired, new_expiry)


async def increment_capped_counter(
    session: AsyncSession, key: str, cap: int, now: datetime, expires_at: datetime
) -> int:
    """Add one hit to a counter (created at 1; an expired one starts again at 1) and return its
    count; while the count is within `cap` its expiry moves on to `expires_at`."""
    expired = _COUNTERS.c.expires_at <= now
    # Both dialects evaluate every SET expression on the row as it was: `hits < cap` is "the
    # new count is within the cap".
    new_expiry = case(
        (or_(expired, _COUNTERS.c.hits < cap), expires_at), else_=_COUNTERS.c.expires_at
    )
    return await _restarting_upsert(session, key, expires_at, expired, new_expiry)


async def _restarting_upsert(
    session: AsyncSession,
    key: str,
    expires_at: datetime,
    expired: ColumnElement[bool],
    new_expiry: ColumnElement[datetime],
) -> int:
    """One hit on the counter `key`, and its count: a new counter starts at 1 until
    `expires_at`; an existing one goes back to 1 when `expired`, else up by one, and takes
    `new_expiry` (both evaluated on the row as it was)."""
    statement = (
        dialect_insert(session)(RateLimitCounter)
        .values(key=key, hits=1, expires_at=expires_at)
        .on_conflict_do_update(
            index_elements=["key"],
            set_={"hits": case((expired, 1), else_=_COUNTERS.c.hits + 1), "expires_at": new_expiry},
        )
        .returning(RateLimitCounter.hits)
    )
    return int((await session.execute(statement)).scalar_one())


async def delete_counter(session: AsyncSession, key: str) -> None:
    """Forget a counter."""
    await session.execute(delete(RateLimitCounter).where(RateLimitCounter.key == key))


async def delete_expired_counters(session: AsyncSession, now: datetime) -> None:
    """Drop counters whose window is over."""
    await session.execute(delete(RateLimitCounter).where(RateLimitCounter.expires_at <= now))
