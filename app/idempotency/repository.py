"""Every query of the idempotency records."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.idempotency.models import IdempotencyRecord


async def find(session: AsyncSession, caller: str, key: str) -> IdempotencyRecord | None:
    """The record of a caller's key, if any."""
    query = select(IdempotencyRecord).where(
        IdempotencyRecord.caller == caller, IdempotencyRecord.key == key
    )
    return (await session.scalars(query)).one_or_none()


async def claim(session: AsyncSession, record: IdempotencyRecord) -> None:
    """Insert an in-flight record (the unique constraint refuses a concurrent twin)."""
    session.add(record)
    await session.flush()


async def finish(
    session: AsyncSession, record_id: uuid.UUID, *, status: int, content_type: str, body: str
) -> None:
    """Store the answer of an in-flight record."""
    await session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == record_id)
        .values(state="done", status_code=status, content_type=content_type, body_cipher=body)
    )


async def forget(session: AsyncSession, record_id: uuid.UUID) -> None:
    """Drop a record whose request failed on the server's side, so that a retry runs again."""
    await session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))


async def purge(session: AsyncSession, now: datetime) -> int:
    """Delete expired records; return how many."""
    result = await session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= now)
    )
    return int(getattr(result, "rowcount", 0) or 0)
