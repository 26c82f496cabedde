"""Every query of the data-access log."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.models import DataAccessRecord
from app.db import stage_values


def add(session: AsyncSession, record: DataAccessRecord) -> None:
    """Stage one record in the caller's unit of work."""
    session.add(record)


_RECORDS: Table = DataAccessRecord.__table__  # type: ignore[assignment]
_INSERT_RECORDS = insert(_RECORDS)


async def insert_many(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many records with the caller's other writes, bypassing the identity map: staged
    (app.db.stage_values), or else as one executemany statement."""
    if rows and not stage_values(session, _RECORDS, rows):
        # Core, not the ORM's bulk insert: the same one statement for a fraction of the CPU
        # (a 秒批 submission logs every department read).
        connection = await session.connection()
        await connection.execute(_INSERT_RECORDS, list(rows))


async def list_for_subject(
    session: AsyncSession,
    *,
    subject_index: str,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[DataAccessRecord]:
    """Records of one subject, newest first, strictly before the (occurred_at, id) key."""
    query = select(DataAccessRecord).where(DataAccessRecord.subject_index == subject_index)
    if before is not None:
        at, record_id = before
        query = query.where(
            or_(
                DataAccessRecord.occurred_at < at,
                and_(DataAccessRecord.occurred_at == at, DataAccessRecord.id < record_id),
            )
        )
    query = query.order_by(DataAccessRecord.occurred_at.desc(), DataAccessRecord.id.desc())
    return (await session.scalars(query.limit(limit))).all()
