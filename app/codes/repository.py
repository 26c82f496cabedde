"""Every query of the city code: spending a code once, and spending a clerk's ticket once."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.codes.models import CityCodeUse


def _insert(session: AsyncSession) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


async def spend(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Record a code's verification; False if its `jti` was recorded before.

    One statement, so the primary key decides between racing verifications: on PostgreSQL the
    second insert waits for the first transaction and then conflicts (or inserts, had the
    first rolled back); on SQLite writers are serialized.
    """
    statement = (
        _insert(session)(CityCodeUse)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["jti"])
    )
    result: CursorResult[Any] = await session.execute(statement)  # type: ignore[assignment]
    return result.rowcount == 1


async def spend_ticket(
    session: AsyncSession, *, ticket_hash: str, verifier_id: str, service_code: str, now: datetime
) -> uuid.UUID | None:
    """Use a clerk's on-behalf ticket: the person's account id, or None when the ticket is
    unknown, another verifier's, used before, or past its end (one conditional update, so a
    ticket opens one form however requests race)."""
    statement = (
        update(CityCodeUse)
        .where(
            CityCodeUse.ticket_hash == ticket_hash,
            CityCodeUse.verifier_type == "staff",
            CityCodeUse.verifier_id == verifier_id,
            CityCodeUse.ticket_used_at.is_(None),
            CityCodeUse.ticket_until > now,
        )
        .values(ticket_used_at=now, ticket_service=service_code)
        .returning(CityCodeUse.account_id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def purge_expired(session: AsyncSession, now: datetime) -> int:
    """Delete the uses of codes that have expired and whose ticket is over: the signature
    refuses those codes on its own now."""
    statement = delete(CityCodeUse).where(
        CityCodeUse.expires_at <= now,
        (CityCodeUse.ticket_until.is_(None)) | (CityCodeUse.ticket_until <= now),
    )
    result: CursorResult[Any] = await session.execute(statement)  # type: ignore[assignment]
    return int(result.rowcount or 0)
